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

if TYPE_CHECKING:
    from pipelines.warehouse.connection import Row

console = Console()
if not console.is_terminal:
    console.width = 120  # piped or captured output: wide enough for the score tables


def pinned_console() -> Console:
    """A console bound to the current stdout, for progress that outlives a stdout redirect."""
    return Console(file=sys.stdout)


GRADE_STYLES = {"A": "bold green", "B": "yellow", "C": "bold red"}


def _number(value: object, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def print_entity_scores(title: str, rows: Sequence[Row]) -> None:
    table = Table(title=title, title_justify="left")
    numeric = ("total", "rank", "pctile", "bonus x", "rolled up")
    for column in ("entity", "parent", "peers", "total", "grade", "meaning", *numeric[1:]):
        table.add_column(column, justify="right" if column in numeric else "left")
    for row in rows:
        grade = row.grade if isinstance(row.grade, str) else "-"
        table.add_row(
            str(row.entity_id),
            str(row.parent_entity_id or ""),
            str(getattr(row, "peer_group", None) or ""),
            _number(row.total_score),
            f"[{GRADE_STYLES.get(grade, '')}]{grade}[/]" if grade in GRADE_STYLES else grade,
            str(row.grade_label or ""),
            _number(row.rank, 0),
            _number(row.percentile, 0),
            _number(row.bonus_multiplier, 2),
            _number(getattr(row, "rolled_up_score", None)),
        )
    console.print(table)


def print_kpi_breakdown(title: str, rows: Sequence[Row]) -> None:
    """One row per KPI; with an entity column when the rows hold several entities."""
    several = len({row.entity_id for row in rows}) > 1
    table = Table(title=title, title_justify="left")
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
            *([str(row.entity_id)] if several else []),
            row.kpi,
            str(row.perspective or ""),
            _number(row.value, 2),
            _number(row.target, 2),
            _number(row.achievement, 2),
            _number(row.score),
            _number(row.effective_weight),
            _number(row.weighted_score),
            str(row.status or ""),
        )
    console.print(table)


def print_not_scored(title: str, rows: Sequence[Row]) -> None:
    """The KPIs of a scorecard some entities could not be scored on, and why (their weight went
    to the KPIs that were): one row per KPI and reason, with how many entities."""
    table = Table(title=title, title_justify="left")
    for column in ("kpi", "why", "entities"):
        table.add_column(column, justify="right" if column == "entities" else "left")
    for row in rows:
        table.add_row(row.kpi, str(row.status), str(row.entities))
    console.print(table)


def print_snapshots(rows: Sequence[Row]) -> None:
    table = Table(title="Snapshots", title_justify="left")
    columns = ("snapshot_id", "period", "status", "scored_at", "version", "hash", "checks")
    for column in (*columns, "current"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.snapshot_id,
            f"{row.period:%Y-%m}",
            row.status,
            f"{row.scored_at:%Y-%m-%d %H:%M:%S}",
            row.scorecard_version,
            row.scorecard_hash[:12],
            "passed" if row.checks_passed else "FAILED",
            "*" if row.is_current else "",
        )
    console.print(table)


def print_span_kpis(title: str, rows: Sequence[Row]) -> None:
    """A quarter's or year's KPI values per entity (marts.fct_kpi_rollups), with the roll-up
    rule applied and, for a value missing, why."""
    table = Table(title=title, title_justify="left")
    text = ("entity", "kpi", "method", "why no value")
    for column in ("entity", "kpi", "value", "numerator", "denominator", "months", *text[2:]):
        table.add_column(column, justify="left" if column in text else "right")
    for row in rows:
        table.add_row(
            str(row.entity_id),
            row.kpi,
            _number(row.value, 2),
            _number(row.numerator, 2),
            _number(row.denominator, 2),
            str(row.months),
            str(row.method),
            str(row.null_reason or ""),
        )
    console.print(table)


def print_diff(title: str, rows: Sequence[Row]) -> None:
    """One row per changed field between two snapshots, with the change where both are numbers."""
    table = Table(title=title, title_justify="left")
    for column in ("type", "entity", "kpi", "field", "before", "after", "change"):
        table.add_column(
            column, justify="right" if column in ("before", "after", "change") else "left"
        )
    for row in rows:
        numbers = all(
            isinstance(v, int | float) and not math.isnan(v) for v in (row.before, row.after)
        )
        table.add_row(
            row.entity_type,
            str(row.entity_id),
            row.kpi,
            row.field,
            _number(row.before, 2),
            _number(row.after, 2),
            f"{row.after - row.before:+,.2f}" if numbers else "",
        )
    console.print(table)


def print_check_results(title: str, rows: Sequence[Row]) -> None:
    """One row per check of a run: failed ones first."""
    table = Table(title=title, title_justify="left")
    for column in ("asset", "check", "severity", "result", "observed", "threshold", "details"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.asset,
            row.check_name,
            str(row.severity),
            "[green]passed[/]" if row.passed else "[bold red]FAILED[/]",
            str(row.observed or ""),
            str(row.threshold or ""),
            "" if row.details in (None, "", "{}") else str(row.details),
        )
    console.print(table)


def print_quarantine(title: str, rows: Sequence[Row]) -> None:
    """One row per quarantined row: where it came from, why, and what it held."""
    table = Table(title=title, title_justify="left")
    for column in ("table", "source", "row", "reason", "original row", "batch"):
        table.add_column(column, justify="right" if column == "row" else "left")
    for row in rows:
        table.add_row(
            row.table_name,
            str(row.source),
            _number(row.source_row, 0),
            row.reason,
            str(row.original_row),
            str(row.batch_id),
        )
    console.print(table)
