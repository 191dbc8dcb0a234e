"""What the report shows, read from the published snapshot (scorecard.*) and the period's marts.

Warehouse rows, not pandas frames: `scorecard report` is a read command and stays fast (issue 11).
A quarter shows the scores of its latest published month (snapshots are monthly) and the
channel and funnel figures summed over its months."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import TYPE_CHECKING

from pipelines.periods import add_months, months_between
from pipelines.read_arguments import require_published
from pipelines.scoring.kpi_catalogue import kpi_catalogue

if TYPE_CHECKING:
    from pipelines.warehouse import Warehouse
    from pipelines.warehouse.connection import Row

HISTORY_MONTHS = 12
# Status by achievement (direction-adjusted: 1.0 is on target whichever way is better).
GREEN_FROM, AMBER_FROM = 1.0, 0.9
RANKED_TYPES = ("team", "rep")
# Entity types in the order people read them (also `scorecard show`'s).
ENTITY_ORDER = """
    case entity_type
        when 'company' then 1 when 'team' then 2 when 'rep' then 3 when 'channel' then 4 else 5
    end"""


@dataclass(frozen=True)
class Lineage:
    snapshot_id: str
    status: str
    scored_at: datetime
    run_id: str
    scorecard_version: str
    scorecard_hash: str
    code_version: str
    checks: int
    checks_failed: int
    failures: list[str]


@dataclass(frozen=True)
class Headline:
    """The company's score in a month; None where that month has no published snapshot."""

    label: str
    period: date
    score: float | None
    grade: str | None
    grade_label: str | None
    bonus_multiplier: float | None


@dataclass(frozen=True)
class KpiLine:
    kpi: str
    perspective: str | None
    value: float | None
    target: float | None
    achievement: float | None
    score: float | None
    status: str
    rag: str  # green, amber, red, or "not scored"
    history: list[float | None]  # HISTORY_MONTHS values, oldest first
    streak: str


@dataclass(frozen=True)
class EntityCard:
    entity_type: str
    entity_id: str
    name: str
    total_score: float | None
    grade: str | None
    kpis: list[KpiLine]


@dataclass(frozen=True)
class ChannelLine:
    channel: str
    spend: float
    by_model: dict[str, tuple[float | None, float | None]]  # model -> (ROAS, CPA)


@dataclass(frozen=True)
class ReportData:
    label: str
    scores_month: date
    months: list[date]
    lineage: Lineage
    headlines: list[Headline]
    rankings: dict[str, list[Row]]
    names: dict[tuple[str, str], str]
    cards: list[EntityCard]
    models: list[str]  # attribution models, the channel table's column groups
    channels: list[ChannelLine]
    funnel: list[tuple[str, float | None]]
    cycle_days: float | None
    alerts: list[Row]
    not_scored: list[Row]
    forecasts: list[Row]  # an open month's (provisional snapshot's) company KPI forecasts


def rag(achievement: float | None, status: str) -> str:
    """Red, amber or green by achievement; a KPI without a score says so instead."""
    if status != "scored" or achievement is None:
        return "not scored"
    if achievement >= GREEN_FROM:
        return "green"
    return "amber" if achievement >= AMBER_FROM else "red"


def streak(history: Sequence[float | None], direction: str | None = None) -> str:
    """How long the latest move has lasted: months in a row the value rose (or fell), and
    whether that is better or worse for a KPI whose direction ('higher'/'lower') is known."""
    moves = []
    for before, after in pairwise(history):
        if before is None or after is None:
            moves.append(None)
        else:
            moves.append((after > before) - (after < before))
    if not moves or moves[-1] in (None, 0):
        return "no trend"
    months = 0
    for move in reversed(moves):
        if move != moves[-1]:
            break
        months += 1
    rising = moves[-1] > 0
    text = f"{'rising' if rising else 'falling'} {months} month{'s' if months > 1 else ''}"
    if direction not in ("higher", "lower"):
        return text
    return f"{text}, {'better' if rising == (direction == 'higher') else 'worse'}"


def _mart_exists(warehouse: Warehouse, name: str) -> bool:
    return bool(
        warehouse.rows(
            "select tablename from pg_catalog.pg_tables where schemaname = 'marts' "
            "and tablename = ?",
            [name],
        )
    )


def gather(warehouse: Warehouse, first: date, last: date, label: str) -> ReportData:
    """The report's content; ValueError (exit 2) when nothing of first..last is published."""
    require_published(warehouse, first, last, label)
    month = warehouse.rows(
        "select max(period) as period from scorecard.current_snapshots "
        "where period between ? and ?",
        [first, last],
    )[0].period
    names = _names(warehouse)
    models, channels = (
        _channels(warehouse, first, last)
        if _mart_exists(warehouse, "fct_channel_performance")
        else ([], [])
    )
    funnel, cycle_days = (
        _funnel(warehouse, first, last) if _mart_exists(warehouse, "fct_kpi") else ([], None)
    )
    lineage = _lineage(warehouse, month)
    return ReportData(
        label=label,
        scores_month=month,
        months=months_between(first, last),
        lineage=lineage,
        headlines=_headlines(warehouse, month),
        rankings=_rankings(warehouse, month),
        names=names,
        cards=_cards(warehouse, month, names),
        models=models,
        channels=channels,
        funnel=funnel,
        cycle_days=cycle_days,
        alerts=warehouse.rows(
            "select * from scorecard.current_alerts where period = ? "
            "order by entity_type, entity_id, kpi",
            [month],
        ),
        not_scored=warehouse.rows(
            """
            select entity_type, kpi, status, count(*) as entities
            from scorecard.current_kpi_scores
            where period = ? and status <> 'scored'
            group by entity_type, kpi, status
            order by entity_type, kpi, status
            """,
            [month],
        ),
        forecasts=warehouse.rows(
            "select * from scorecard.kpi_forecasts where snapshot_id = ? order by kpi",
            [lineage.snapshot_id],
        ),
    )


def _lineage(warehouse: Warehouse, month: date) -> Lineage:
    row = warehouse.rows(
        """
        select snapshots.*
        from scorecard.snapshots as snapshots
        inner join scorecard.current_snapshots as current_snapshots
            on snapshots.snapshot_id = current_snapshots.snapshot_id
        where snapshots.period = ?
        """,
        [month],
    )[0]
    summary = json.loads(row.checks_summary or "{}")
    return Lineage(
        snapshot_id=row.snapshot_id,
        status=row.status,
        scored_at=row.scored_at,
        run_id=row.run_id or "",
        scorecard_version=row.scorecard_version,
        scorecard_hash=row.scorecard_hash,
        code_version=row.code_version or "",
        checks=int(summary.get("checks", 0)),
        checks_failed=int(summary.get("failed", 0)),
        failures=[str(failure) for failure in summary.get("failures", [])],
    )


def _headlines(warehouse: Warehouse, month: date) -> list[Headline]:
    compared = {
        "this month": month,
        "last month": add_months(month, -1),
        "last year": add_months(month, -12),
    }
    rows = warehouse.rows(
        "select period, total_score, grade, grade_label, bonus_multiplier "
        "from scorecard.current_entity_scores "
        "where entity_type = 'company' and period in (?, ?, ?)",
        list(compared.values()),
    )
    by_period = {row.period: row for row in rows}
    headlines = []
    for label, period in compared.items():
        row = by_period.get(period)
        headlines.append(
            Headline(
                label,
                period,
                row.total_score if row else None,
                row.grade if row else None,
                row.grade_label if row else None,
                row.bonus_multiplier if row else None,
            )
        )
    return headlines


def _rankings(warehouse: Warehouse, month: date) -> dict[str, list[Row]]:
    rows = warehouse.rows(
        """
        select * from scorecard.current_entity_scores
        where period = ? and entity_type in ('team', 'rep')
        order by entity_type, peer_group, rank nulls last, entity_id
        """,
        [month],
    )
    rankings: dict[str, list[Row]] = {entity_type: [] for entity_type in RANKED_TYPES}
    for row in rows:
        rankings[row.entity_type].append(row)
    return rankings


def _names(warehouse: Warehouse) -> dict[tuple[str, str], str]:
    """People's names for entity ids, from the dimensions that have them."""
    sources = {
        "team": ("dim_team", "team_id", "team_name"),
        "rep": ("dim_rep", "rep_id", "rep_name"),
        "campaign": ("dim_campaign", "campaign_id", "campaign_name"),
    }
    names = {}
    for entity_type, (table, key, name) in sources.items():
        if _mart_exists(warehouse, table):  # fixed names from this module: no user input
            for row in warehouse.rows(f"select {key} as id, {name} as name from marts.{table}"):
                if row.name is not None:
                    names[entity_type, str(row.id)] = str(row.name)
    return names


def _cards(
    warehouse: Warehouse, month: date, names: dict[tuple[str, str], str]
) -> list[EntityCard]:
    """A KPI table per entity scored in the month, with each KPI's last 12 months."""
    window = [add_months(month, offset) for offset in range(1 - HISTORY_MONTHS, 1)]
    history: dict[tuple[str, str, str], dict[date, float | None]] = {}
    for row in warehouse.rows(
        "select period, entity_type, entity_id, kpi, value from scorecard.current_kpi_scores "
        "where period between ? and ?",
        [window[0], month],
    ):
        history.setdefault((row.entity_type, row.entity_id, row.kpi), {})[row.period] = row.value
    entities = warehouse.rows(
        f"""
        select entity_type, entity_id, total_score, grade
        from scorecard.current_entity_scores where period = ?
        order by {ENTITY_ORDER}, rank nulls last, entity_id
        """,
        [month],
    )
    directions = {name: str(spec.direction) for name, spec in kpi_catalogue().items()}
    kpis: dict[tuple[str, str], list[KpiLine]] = {}
    for row in warehouse.rows(
        "select * from scorecard.current_kpi_scores where period = ? "
        "order by entity_type, entity_id, kpi",
        [month],
    ):
        values = history.get((row.entity_type, row.entity_id, row.kpi), {})
        series = [values.get(m) for m in window]
        kpis.setdefault((row.entity_type, row.entity_id), []).append(
            KpiLine(
                row.kpi,
                row.perspective,
                row.value,
                row.target,
                row.achievement,
                row.score,
                row.status,
                rag(row.achievement, row.status),
                series,
                streak(series, directions.get(row.kpi)),
            )
        )
    return [
        EntityCard(
            e.entity_type,
            e.entity_id,
            names.get((e.entity_type, e.entity_id), e.entity_id),
            e.total_score,
            e.grade,
            kpis.get((e.entity_type, e.entity_id), []),
        )
        for e in entities
    ]


def _channels(warehouse: Warehouse, first: date, last: date) -> tuple[list[str], list[ChannelLine]]:
    """Per channel and attribution model over first..last: ROAS and CPA of the summed parts."""
    rows = warehouse.rows(
        """
        select
            channel, model, sum(spend) as spend, sum(credited_revenue) as revenue,
            sum(credited_orders) as orders
        from marts.fct_channel_performance
        where period between ? and ?
        group by channel, model
        order by channel, model
        """,
        [first, last],
    )
    models = sorted({row.model for row in rows})
    lines: dict[str, ChannelLine] = {}
    for row in rows:  # every model's row carries the channel's whole spend
        spend, revenue, orders = (float(v or 0) for v in (row.spend, row.revenue, row.orders))
        line = lines.setdefault(row.channel, ChannelLine(row.channel, spend, {}))
        line.by_model[row.model] = (
            revenue / spend if spend else None,
            spend / orders if orders else None,
        )
    return models, list(lines.values())


def _funnel(
    warehouse: Warehouse, first: date, last: date
) -> tuple[list[tuple[str, float | None]], float | None]:
    """The company's leads -> MQL -> SQL -> won over first..last, and mean days to a won deal:
    the parts of fct_kpi's funnel KPIs (mql_to_sql_rate = SQLs / MQLs, win_rate = won / closed)."""
    rows = warehouse.rows(
        """
        select
            sum(case when kpi = 'leads' then value end) as leads,
            sum(case when kpi = 'mql_to_sql_rate' then denominator end) as mqls,
            sum(case when kpi = 'mql_to_sql_rate' then numerator end) as sqls,
            sum(case when kpi = 'win_rate' then numerator end) as won,
            sum(case when kpi = 'lead_to_deal_days' then numerator end) as won_days,
            sum(case when kpi = 'lead_to_deal_days' then denominator end) as won_deals
        from marts.fct_kpi
        where entity_type = 'company' and period between ? and ?
        """,
        [first, last],
    )
    row = rows[0]
    funnel = [("Leads", row.leads), ("MQL", row.mqls), ("SQL", row.sqls), ("Won", row.won)]
    cycle = row.won_days / row.won_deals if row.won_days is not None and row.won_deals else None
    return funnel, cycle
