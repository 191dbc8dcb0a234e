"""Terminal output for people: scorecards, snapshot lists, run outcomes.

Tables are printed from warehouse rows (named tuples), not pandas frames: the read commands that
print them stay fast (issue 11)."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipelines.formatting import readable_number

if TYPE_CHECKING:
    import pandas as pd

    from pipelines.warehouse.connection import Row

console = Console()
if not console.is_terminal:
    console.width = 120  # piped or captured output: wide enough for the score tables


def pinned_console() -> Console:
    """A console bound to the current stdout, for progress that outlives a stdout redirect."""
    return Console(file=sys.stdout)


GRADE_STYLES = {"A": "bold green", "B": "yellow", "C": "bold red"}


def _plain(value: object, missing: str = "") -> Text:
    """A value from the warehouse as literal text: `[b]` in a name is not rich markup."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Text(missing)
    return Text(str(value))


def _print(table: Table) -> None:
    """Print a table with every cell whole: a value too wide folds onto a second line instead of
    being cut short with an ellipsis (a cut name or number reads as another)."""
    for column in table.columns:
        column.overflow = "fold"
    console.print(table)


def _table(title: str) -> Table:
    """A table whose title, which may carry names from the data, is literal text."""
    return Table(title=Text(title), title_justify="left")


def print_entity_scores(title: str, rows: Sequence[Row]) -> None:
    table = _table(title)
    numeric = ("total", "rank", "pctile", "bonus x", "rolled up")
    for column in ("entity", "parent", "peers", "total", "grade", "meaning", *numeric[1:]):
        table.add_column(column, justify="right" if column in numeric else "left")
    for row in rows:
        grade = row.grade if isinstance(row.grade, str) else "-"
        table.add_row(
            _plain(row.entity_id),
            _plain(row.parent_entity_id),
            _plain(getattr(row, "peer_group", None)),
            readable_number(row.total_score),
            f"[{GRADE_STYLES.get(grade, '')}]{grade}[/]" if grade in GRADE_STYLES else grade,
            _plain(row.grade_label),
            readable_number(row.rank, 0),
            readable_number(row.percentile, 0),
            readable_number(row.bonus_multiplier, 2),
            readable_number(getattr(row, "rolled_up_score", None)),
        )
    _print(table)


def best_and_worst(rows: Sequence[Row], count: int) -> Sequence[Row]:
    """The `count` best and `count` worst entities by total score (unscored last), best first;
    all of them when that is no fewer."""
    if len(rows) <= 2 * max(count, 0):
        return rows
    ranked = sorted(rows, key=lambda row: _score_key(row.total_score), reverse=True)
    return [*ranked[:count], *ranked[-count:]] if count > 0 else []


def _score_key(score: object) -> float:
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return -math.inf
    return float(score)


def print_headline(label: str, company: Row, before: dict[str, Row]) -> None:
    """One line: the company's score, grade and bonus tier, and its change since last month and
    last year (where those were published)."""
    grade = company.grade if isinstance(company.grade, str) else "-"
    line = Text(f"{label} · company score {readable_number(company.total_score)} · grade ")
    line.append(grade, style=GRADE_STYLES.get(grade, ""))
    if company.grade_label:
        line.append(f" ({company.grade_label})")
    line.append(f" · bonus x{readable_number(company.bonus_multiplier, 2)}")
    for name, row in before.items():
        change = _change(company.total_score, row.total_score)
        line.append(f" · vs {name}: {change}")
    console.print(line)


def _change(now: object, then: object) -> str:
    if _score_key(now) == -math.inf or _score_key(then) == -math.inf:
        return "-"
    return f"{float(now) - float(then):+,.1f}"


def print_kpi_breakdown(title: str, rows: Sequence[Row]) -> None:
    """One row per KPI; with an entity column when the rows hold several entities."""
    several = len({row.entity_id for row in rows}) > 1
    table = _table(title)
    for column in (
        *(["entity"] if several else []),
        "kpi",
        "perspective",
        "value",
        "target",
        "achv",
        "score",
        "weight",
        "weighted",
        "status",
    ):
        table.add_column(
            column,
            justify="left" if column in ("entity", "kpi", "perspective", "status") else "right",
        )
    for row in rows:
        table.add_row(
            *([_plain(row.entity_id)] if several else []),
            _plain(row.kpi),
            _plain(row.perspective),
            readable_number(row.value, 2),
            readable_number(row.target, 2),
            readable_number(row.achievement, 2),
            readable_number(row.score),
            readable_number(row.effective_weight),
            readable_number(row.weighted_score),
            _plain(row.status),
        )
    _print(table)


def print_not_scored(title: str, rows: Sequence[Row]) -> None:
    """The KPIs of a scorecard some entities could not be scored on, and why (their weight went
    to the KPIs that were): one row per KPI and reason, with how many entities."""
    table = _table(title)
    for column in ("kpi", "why", "entities"):
        table.add_column(column, justify="right" if column == "entities" else "left")
    for row in rows:
        table.add_row(_plain(row.kpi), _plain(row.status), str(row.entities))
    _print(table)


def print_snapshots(rows: Sequence[Row]) -> None:
    table = _table("Snapshots")
    columns = ("snapshot_id", "period", "status", "scored_at", "version", "hash", "checks")
    for column in (*columns, "current"):
        table.add_column(column, no_wrap=column in ("snapshot_id", "scored_at"))
    for row in rows:
        table.add_row(
            _plain(row.snapshot_id),
            f"{row.period:%Y-%m}",
            _plain(row.status),
            f"{row.scored_at:%Y-%m-%d %H:%M:%S}",
            _plain(row.scorecard_version),
            row.scorecard_hash[:12],
            "passed" if row.checks_passed else "FAILED",
            "*" if row.is_current else "",
        )
    _print(table)


def print_span_kpis(title: str, rows: Sequence[Row]) -> None:
    """A quarter's or year's KPI values per entity (marts.fct_kpi_rollups), with the roll-up
    rule applied and, for a value missing, why."""
    table = _table(title)
    text = ("entity", "kpi", "method", "why no value")
    for column in ("entity", "kpi", "value", "numerator", "denominator", "months", *text[2:]):
        table.add_column(column, justify="left" if column in text else "right")
    for row in rows:
        table.add_row(
            _plain(row.entity_id),
            _plain(row.kpi),
            readable_number(row.value, 2),
            readable_number(row.numerator, 2),
            readable_number(row.denominator, 2),
            str(row.months),
            _plain(row.method),
            _plain(row.null_reason),
        )
    _print(table)


def print_diff(title: str, rows: Sequence[Row]) -> None:
    """One row per changed field between two snapshots, with the change where both are numbers."""
    table = _table(title)
    for column in ("type", "entity", "kpi", "field", "before", "after", "change"):
        table.add_column(
            column, justify="right" if column in ("before", "after", "change") else "left"
        )
    for row in rows:
        numbers = all(
            isinstance(v, int | float) and not math.isnan(v) for v in (row.before, row.after)
        )
        table.add_row(
            _plain(row.entity_type),
            _plain(row.entity_id),
            _plain(row.kpi),
            _plain(row.field),
            readable_number(row.before, 2),
            readable_number(row.after, 2),
            f"{row.after - row.before:+,.2f}" if numbers else "",
        )
    _print(table)


def print_check_results(title: str, rows: Sequence[Row]) -> None:
    """One row per check of a run: failed ones first."""
    table = _table(title)
    for column in ("asset", "check", "severity", "result", "observed", "threshold", "details"):
        table.add_column(column, no_wrap=column == "check")
    for row in rows:
        table.add_row(
            _plain(row.asset),
            _plain(row.check_name),
            _plain(row.severity),
            "[green]passed[/]" if row.passed else "[bold red]FAILED[/]",
            _plain(row.observed, "-"),
            _plain(row.threshold, "-"),
            _plain(summary(None if row.details == "{}" else row.details), "-"),
        )
    _print(table)


def summary(text: object, length: int = 80) -> str | None:
    """A long text's first line, cut at `length` characters with how much was left out."""
    if text is None:
        return None
    value = str(text)
    first = value.splitlines()[0] if value else value
    if len(first) <= length and first == value:
        return value
    return f"{first[:length]}… ({len(value) - min(len(first), length):,} more characters)"


def print_quarantine(title: str, rows: Sequence[Row]) -> None:
    """One row per quarantined row: where it came from, why, and what it held."""
    table = _table(title)
    for column in ("table", "source", "row", "reason", "original row", "batch"):
        table.add_column(column, justify="right" if column == "row" else "left")
    for row in rows:
        table.add_row(
            _plain(row.table_name),
            _plain(row.source, "-"),
            readable_number(row.source_row, 0),
            _plain(row.reason),
            _plain(row.original_row, "-"),
            _plain(row.batch_id, "-"),
        )
    _print(table)


def print_backtest(title: str, rows: pd.DataFrame) -> None:
    """Per KPI and as-of day: forecasts made, the share whose interval held the final value,
    and the mean absolute percentage error."""
    table = _table(title)
    for column in ("kpi", "as of day", "forecasts", "coverage", "mean abs % error"):
        table.add_column(column, justify="left" if column == "kpi" else "right")
    for row in rows.itertuples(index=False):
        table.add_row(
            _plain(row.kpi),
            str(row.as_of_day),
            str(row.forecasts),
            f"{row.coverage:.0%}",
            "-" if math.isnan(row.mape) else f"{row.mape:.1%}",
        )
    _print(table)


def print_forecasts(title: str, rows: Sequence[Row]) -> None:
    """The open month's forecast per KPI: to date, projected, interval, target and the chance of
    reaching it; a KPI not forecast with the reason."""
    table = _table(title)
    text = ("kpi", "method or why not")
    for column in ("kpi", "to date", "forecast", "interval", "target", "p(target)", text[1]):
        table.add_column(column, justify="left" if column in text else "right")
    for row in rows:
        interval = (
            "-"
            if row.lower is None
            else f"{readable_number(row.lower, 2)} .. {readable_number(row.upper, 2)}"
        )
        chance = row.probability_reaching_target
        table.add_row(
            _plain(row.kpi),
            readable_number(row.value_to_date, 2),
            readable_number(row.forecast_value, 2),
            interval,
            readable_number(row.target, 2),
            "-" if chance is None else f"{chance:.0%}",
            _plain("; ".join(part for part in (row.method, row.reason) if part), "-"),
        )
    _print(table)
