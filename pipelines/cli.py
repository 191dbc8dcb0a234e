"""`scorecard`: generate demo data, run, backfill or re-score periods, show and diff snapshots.

Exit codes: 0 published, 1 a blocking check failed (nothing published), 2 bad input or
configuration, 3 another pipeline error.

Each command imports what it needs inside its function, and the read commands print warehouse
rows, not pandas frames: they (show, diff, snapshots, checks, quarantine) and --help must answer
in well under a second, and settings, configuration, the warehouse drivers, pandas and Dagster
each take a noticeable part of one to import (issue 11)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipelines.demo import DEFAULT_PROFILE, profile_names
from pipelines.display import (
    best_and_worst,
    console,
    pinned_console,
    print_backtest,
    print_check_results,
    print_diff,
    print_entity_scores,
    print_forecasts,
    print_headline,
    print_kpi_breakdown,
    print_not_scored,
    print_quarantine,
    print_snapshots,
    print_span_kpis,
)
from pipelines.exit_codes import ExitCode, RunOutcome
from pipelines.home import HOME_VARIABLE, home_dir
from pipelines.periods import (
    QUARTER_PATTERN,
    add_months,
    month_label,
    months_between,
    parse_month,
    parse_span,
    span_label,
)
from pipelines.report.gather import ENTITY_ORDER

if TYPE_CHECKING:
    from pipelines.warehouse import Warehouse
    from pipelines.warehouse.connection import Row

DEMO_MONTHS = 18


def last_closed_month(today: date | None = None) -> date:
    return add_months((today or datetime.now(UTC).date()).replace(day=1), -1)


def cmd_generate(args: argparse.Namespace) -> int:
    from pipelines.demo.generator import generate
    from pipelines.settings import get_settings

    last = parse_month(args.to) if args.to else last_closed_month()
    first = parse_month(args.from_) if args.from_ else add_months(last, -(DEMO_MONTHS - 1))
    landing = args.landing or get_settings().landing
    started = time.perf_counter()
    summary = generate(
        landing,
        first,
        last,
        seed=args.seed,
        scale=args.scale,
        file_format=args.format,
        profile=args.profile,
        to_sql=args.to_sql,
    )
    rows = sum(summary.rows.values())
    console.print(
        f"Generated {len(summary.months)} months ({month_label(first)}..{month_label(last)}) "
        f"of profile {args.profile}, {rows:,} rows in {len(summary.rows)} tables, into {landing} "
        f"in {time.perf_counter() - started:.1f}s"
    )
    if args.to_sql:
        from pipelines.demo.sql_tables import SQL_TABLES, sources_yaml

        console.print(
            f"{', '.join(SQL_TABLES)} went to the database; read them back with this block in "
            "pipeline.yaml and the URL in SCORECARD_SQL_URL:\n" + sources_yaml("SCORECARD_SQL_URL"),
            markup=False,
        )
    return ExitCode.PUBLISHED


def _run(first: date, last: date, rescore: bool = False, version: str | None = None) -> int:
    outcome, seconds = _run_with_progress(first, last, rescore, version)
    _report(outcome, span_label(first, last), len(months_between(first, last)), seconds)
    return outcome.exit_code


def _run_with_progress(
    first: date, last: date, rescore: bool = False, version: str | None = None
) -> tuple[RunOutcome, float]:
    """One Dagster run over first..last behind a progress bar; the outcome and its wall time."""
    from assets.runner import run_periods  # Dagster loads only for commands that run
    from pipelines.config import load_pipeline_config
    from pipelines.scoring.scorecard import load_scorecard
    from pipelines.settings import get_settings

    # Configuration is checked before anything runs: a bad file is exit 2, not a failed run.
    load_pipeline_config()
    scorecard = load_scorecard(get_settings().config)
    scorecard.version_named(version) if version else scorecard.version_for(first)
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TextColumn("{task.fields[step]}"),
        TimeElapsedColumn(),
        console=pinned_console(),
        transient=True,
    ) as progress:
        verb = "Re-scoring" if rescore else "Scoring"
        task = progress.add_task(f"{verb} {span_label(first, last)}", total=None, step="")

        def on_step(done: int, total: int, step: str) -> None:
            progress.update(task, completed=done, total=total, step=step)
            if not progress.console.is_terminal:  # a scheduled run's log: never silent for long
                elapsed = time.perf_counter() - started
                progress.console.print(f"[{elapsed:6.1f}s] step {done}/{total} done: {step}")

        outcome = run_periods(first, last, on_step, rescore_version=version, rescore=rescore)
    return outcome, time.perf_counter() - started


def _report(outcome: RunOutcome, label: str, months: int, seconds: float) -> None:
    if outcome.exit_code is ExitCode.PUBLISHED:
        console.print(
            f"[green]Published[/] {months} snapshot(s) for {label} "
            f"in {seconds:.1f}s (run {outcome.run_id})"
        )
        return
    headline = {
        ExitCode.CHECK_FAILED: "A blocking check failed; nothing was published",
        ExitCode.BAD_INPUT: "Bad input; nothing was published",
        ExitCode.PIPELINE_ERROR: "The pipeline failed; nothing was published",
    }[outcome.exit_code]
    console.print(f"[red]{headline}[/] for {label} (run {outcome.run_id}):")
    for problem in outcome.problems:
        console.print(f"  - {problem}", markup=False, soft_wrap=True)
    if outcome.log_path:
        console.print(f"Full log: {outcome.log_path}", markup=False)


def cmd_run(args: argparse.Namespace) -> int:
    month = parse_month(args.period)
    return _run(month, month)


def cmd_backfill(args: argparse.Namespace) -> int:
    """One run over the range (single-run backfill policy), then each period's outcome; exit
    non-zero if any period has no published snapshot."""
    first, last = parse_month(args.from_), parse_month(args.to)
    months, label = months_between(first, last), span_label(first, last)
    outcome, seconds = _run_with_progress(first, last)
    _report(outcome, label, len(months), seconds)
    with published_warehouse() as warehouse:
        published = warehouse.rows(
            "select period, snapshot_id, status from scorecard.snapshots where run_id = ?",
            [outcome.run_id],
        )
    statuses = backfill_statuses(months, published, outcome)
    print_backfill_statuses(f"Backfill {label} · run {outcome.run_id}", statuses)
    if outcome.exit_code is ExitCode.PUBLISHED and any(s.snapshot_id is None for s in statuses):
        return ExitCode.PIPELINE_ERROR
    return outcome.exit_code


@dataclass(frozen=True)
class PeriodStatus:
    period: date
    snapshot_id: str | None
    status: str
    reason: str = ""


def backfill_statuses(
    months: list[date], published: Sequence[Row], outcome: RunOutcome
) -> list[PeriodStatus]:
    """Per month: the snapshot the run published and its status, or `failed` and why: the run's
    problems naming the month (the range is one run: its months are published together or not
    at all, and the run's problems are printed above the table)."""
    snapshots = {row.period: row for row in published}
    statuses = []
    for month in months:
        if month in snapshots:
            row = snapshots[month]
            statuses.append(PeriodStatus(month, row.snapshot_id, row.status))
            continue
        own = [p for p in outcome.problems if month_label(month) in p]
        reason = "; ".join(own) or "nothing published: the range is one run and it failed"
        statuses.append(PeriodStatus(month, None, "failed", reason))
    return statuses


def print_backfill_statuses(title: str, statuses: list[PeriodStatus]) -> None:
    table = Table(title=title, title_justify="left")
    for column in ("period", "status", "snapshot", "why"):
        table.add_column(column, overflow="fold")
    for status in statuses:
        colour = "red" if status.snapshot_id is None else "green"
        table.add_row(
            month_label(status.period),
            f"[{colour}]{status.status}[/]",
            status.snapshot_id or "",
            escape(status.reason),
        )
    console.print(table)


def cmd_rescore(args: argparse.Namespace) -> int:
    return _run(parse_month(args.from_), parse_month(args.to), rescore=True, version=args.version)


def _entity_filter(args: argparse.Namespace, alias: str) -> tuple[str, list[str]]:
    """SQL conditions (bound parameters) for --entity-type and --entity."""
    conditions, params = "", []
    if args.entity_type:
        conditions += f" and {alias}.entity_type = ?"
        params.append(args.entity_type)
    if args.entity:
        conditions += f" and {alias}.entity_id = ?"
        params.append(args.entity)
    return conditions, params


@contextmanager
def published_warehouse() -> Iterator[Warehouse]:
    """The warehouse with the pipeline's layout in place, so that reading one nothing was
    published to says so instead of failing on a missing table. Only a warehouse without it gets
    ensure_layout: its views are replaced every time, a write that on DuckDB costs a checkpoint
    when the connection closes, a tenth of a second on every read."""
    from pipelines.settings import get_settings
    from pipelines.warehouse import connect
    from pipelines.warehouse.schema import ensure_layout

    with connect(get_settings()) as warehouse:
        # ensure_layout creates every relation read here in one transaction, scorecard.snapshots
        # among them. pg_tables: both engines have it, and DuckDB's information_schema is slow.
        layout = warehouse.rows(
            "select tablename from pg_catalog.pg_tables "
            "where schemaname = 'scorecard' and tablename = 'snapshots'"
        )
        if not layout:
            ensure_layout(warehouse)
        yield warehouse


def _by_entity_type(rows: Sequence[Row]) -> dict[str, list[Row]]:
    """The rows of each entity type, types in the order they first come (the queries order them)."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.entity_type, []).append(row)
    return groups


def cmd_show(args: argparse.Namespace) -> int:
    """A period nothing was published for, an entity or version nothing was scored for: exit 2
    naming it (pipelines/read_arguments.py)."""
    from pipelines import read_arguments

    first, last = parse_span(args.period)
    if args.version and first != last:
        raise ValueError(
            "--version shows one month's snapshot; a quarter or year rolls up current snapshots"
        )
    with published_warehouse() as warehouse:
        read_arguments.require_published(warehouse, first, last, args.period)
        if args.entity:
            read_arguments.require_entity(warehouse, args.entity)
        if first == last:
            return _show_month(warehouse, first, args)
        return _show_span(warehouse, first, last, args)


@dataclass(frozen=True)
class _Scores:
    """Where a month's scores are read: its current snapshot (the views), or the snapshot of a
    chosen version (the tables, by snapshot id)."""

    entities: str
    kpis: str
    column: str
    value: str | date

    @classmethod
    def of(cls, warehouse: Warehouse, period: date, version: str | None) -> _Scores:
        if version is None:
            return cls(
                "scorecard.current_entity_scores", "scorecard.current_kpi_scores", "period", period
            )
        from pipelines.read_arguments import snapshot_under

        snapshot = snapshot_under(warehouse, period, version)
        return cls("scorecard.entity_scores", "scorecard.kpi_scores", "snapshot_id", snapshot)


def _show_month(warehouse: Warehouse, period: date, args: argparse.Namespace) -> int:
    """The company's headline; per entity type its best and worst `--top` entities by score and
    what could not be scored, and why; the KPI breakdown of a single entity. `--all`: every
    entity and KPI, through a pager on a terminal. With --version, the month's latest snapshot
    scored under that version."""
    source = _Scores.of(warehouse, period, args.version)
    conditions, params = _entity_filter(args, "scores")
    scores = warehouse.rows(
        f"""
        select * from {source.entities} as scores
        where scores.{source.column} = ? {conditions}
        order by {ENTITY_ORDER}, peer_group, rank nulls last, entity_id
        """,
        [source.value, *params],
    )
    label = month_label(period) + (f" · version {args.version}" if args.version else "")
    if not scores:
        console.print(f"No {args.entity_type or 'entity'} scores in {label}.", markup=False)
        return ExitCode.PUBLISHED
    not_scored = warehouse.rows(
        f"""
        select entity_type, kpi, status, count(*) as entities
        from {source.kpis} as scores
        where scores.{source.column} = ? and status <> 'scored' {conditions}
        group by entity_type, kpi, status
        order by entity_type, kpi, status
        """,
        [source.value, *params],
    )
    with console.pager(styles=True) if args.all and console.is_terminal else nullcontext():
        company = [row for row in scores if row.entity_type == "company"]
        if company:
            print_headline(label, company[0], _company_before(warehouse, period))
            _show_forecasts(warehouse, source, period, label, args.all)
        unscored = _by_entity_type(not_scored)
        for entity_type, rows in _by_entity_type(scores).items():
            shown = rows if args.all else best_and_worst(rows, args.top)
            trimmed = f" · best and worst {args.top} of {len(rows)}" if shown is not rows else ""
            print_entity_scores(f"{label} · {entity_type}{trimmed}", shown)
            if trimmed:
                console.print(
                    f"{len(rows) - len(shown)} more {entity_type}s: --all lists them all",
                    style="dim",
                    markup=False,
                )
            if entity_type in unscored:
                print_not_scored(f"{label} · {entity_type} · not scored", unscored[entity_type])
        if args.entity or args.all or len(scores) == 1:
            kpis = warehouse.rows(
                f"select * from {source.kpis} as scores where scores.{source.column} = ? "
                f"{conditions} order by entity_type, entity_id, kpi",
                [source.value, *params],
            )
            subject = args.entity or args.entity_type or "every entity"
            print_kpi_breakdown(f"{label} · {subject} · KPIs", kpis)
    return ExitCode.PUBLISHED


def _show_forecasts(
    warehouse: Warehouse, source: _Scores, period: date, label: str, everything: bool
) -> None:
    """An open month's forecast (scorecard.kpi_forecasts of the snapshot shown): the KPIs
    forecast; with --all also those that are not, and why."""
    snapshot = (
        "(select snapshot_id from scorecard.current_snapshots where period = ?)"
        if source.column == "period"
        else "?"
    )
    rows = warehouse.rows(
        f"select * from scorecard.kpi_forecasts where snapshot_id = {snapshot} order by kpi",
        [source.value],
    )
    if not rows:
        return
    shown = [row for row in rows if everything or row.forecast_value is not None]
    first = rows[0]
    as_of = f"as of {first.as_of_date:%Y-%m-%d}" if first.as_of_date else "no data yet"
    print_forecasts(
        f"{label} · forecast for the month's end, {as_of} "
        f"(day {first.days_elapsed} of {first.days_in_period})",
        shown,
    )
    if len(shown) < len(rows):
        console.print(
            f"{len(rows) - len(shown)} KPIs not forecast: --all says why", style="dim", markup=False
        )


def _company_before(warehouse: Warehouse, period: date) -> dict[str, Row]:
    """The company's current scores a month and a year before `period`, where published."""
    earlier = {"last month": add_months(period, -1), "last year": add_months(period, -12)}
    found = {}
    for name, month in earlier.items():
        rows = warehouse.rows(
            "select total_score, grade from scorecard.current_entity_scores "
            "where entity_type = 'company' and period = ?",
            [month],
        )
        if rows:
            found[f"{name} ({month_label(month)})"] = rows[0]
    return found


def _show_span(warehouse: Warehouse, first: date, last: date, args: argparse.Namespace) -> int:
    """A quarter or year of the KPIs scored in its months' current snapshots, from
    marts.fct_kpi_rollups: the warehouse's roll-up rules (sums added, ratios recomputed from
    summed parts), the same for BI as here."""
    conditions, params = _entity_filter(args, "rollups")
    grain = "quarter" if QUARTER_PATTERN.match(args.period) else "year"
    if not warehouse.rows(
        "select tablename from pg_catalog.pg_tables "
        "where schemaname = 'marts' and tablename = 'fct_kpi_rollups'"
    ):  # no run has built the marts yet
        console.print(f"No published scorecard in {args.period}.")
        return ExitCode.PUBLISHED
    rollups = warehouse.rows(
        f"""
        select
            rollups.entity_type, rollups.entity_id, rollups.kpi, rollups.value,
            rollups.numerator, rollups.denominator, rollups.months, rollups.method,
            rollups.null_reason
        from marts.fct_kpi_rollups as rollups
        where rollups.period_grain = ? and rollups.period = ? {conditions}
            and exists (
                select 1 from scorecard.current_kpi_scores as scores
                where scores.period between ? and ?
                    and scores.entity_type = rollups.entity_type
                    and scores.entity_id = rollups.entity_id
                    and scores.kpi = rollups.kpi
            )
        order by rollups.entity_type, rollups.entity_id, rollups.kpi
        """,
        [grain, first, *params, first, last],
    )
    label = args.period
    if not rollups:
        console.print(f"No published scorecard in {label}.")
        return ExitCode.PUBLISHED
    expected = len(months_between(first, last))
    for entity_type, rows in _by_entity_type(rollups).items():
        built = max(row.months for row in rows)
        print_span_kpis(f"{label} · {entity_type} · {built} of {expected} months built", rows)
    return ExitCode.PUBLISHED


def cmd_diff(args: argparse.Namespace) -> int:
    from pipelines.snapshot.diff import snapshot_diff

    with published_warehouse() as warehouse:
        snapshots = warehouse.rows(
            "select snapshot_id, period, scorecard_version from scorecard.snapshots "
            "where snapshot_id in (?, ?)",
            [args.snapshot_a, args.snapshot_b],
        )
        missing = {args.snapshot_a, args.snapshot_b} - {row.snapshot_id for row in snapshots}
        if missing:
            raise ValueError(f"no such snapshot: {', '.join(sorted(missing))}")
        if len({row.period for row in snapshots}) > 1:
            raise ValueError("the two snapshots score different periods; diff compares one period")
        scores = {
            (table, snapshot): warehouse.rows(
                f"select * from scorecard.{table} where snapshot_id = ?", [snapshot]
            )
            for table in ("kpi_scores", "entity_scores")
            for snapshot in (args.snapshot_a, args.snapshot_b)
        }
    changes = snapshot_diff(
        scores["kpi_scores", args.snapshot_a],
        scores["entity_scores", args.snapshot_a],
        scores["kpi_scores", args.snapshot_b],
        scores["entity_scores", args.snapshot_b],
    )
    versions = {row.snapshot_id: row.scorecard_version for row in snapshots}
    title = (
        f"{args.snapshot_a} ({versions[args.snapshot_a]}) -> "
        f"{args.snapshot_b} ({versions[args.snapshot_b]}): {len(changes)} change(s)"
    )
    if not changes:
        console.print(title)
    else:
        print_diff(title, changes)
    return ExitCode.PUBLISHED


def cmd_report(args: argparse.Namespace) -> int:
    """The period's HTML scorecard (pipelines/report/); a period nothing was published for is
    exit 2."""
    from pipelines.report.gather import gather
    from pipelines.report.render import write_report
    from pipelines.settings import get_settings

    first, last = parse_span(args.period)
    label = month_label(first) if first == last else args.period
    with published_warehouse() as warehouse:
        data = gather(warehouse, first, last, label)
    path = write_report(data, Path(args.out) if args.out else get_settings().reports_path)
    console.print(f"Wrote {path}", markup=False, soft_wrap=True)
    return ExitCode.PUBLISHED


def cmd_backtest_forecast(args: argparse.Namespace) -> int:
    """Each month of the range forecast again as of its 7th, 14th and 21st day from the data up
    to then, beside its final value: the interval's coverage and the error, per KPI."""
    from pipelines.forecast.backtest import backtest, coverage_by_kpi
    from pipelines.forecast.daily import available_measures, daily_measures
    from pipelines.forecast.projection import HISTORY_MONTHS, INTERVAL_LEVEL, forecastable
    from pipelines.scoring.kpi_catalogue import kpi_catalogue

    first, last = parse_month(args.from_), parse_month(args.to)
    with published_warehouse() as warehouse:
        reasons = forecastable(kpi_catalogue(), available_measures(warehouse))
        days = daily_measures(warehouse, add_months(first, -HISTORY_MONTHS), add_months(last, 1))
    kpis = {name: kpi_catalogue()[name] for name, reason in reasons.items() if reason is None}
    results = backtest(days, kpis, months_between(first, last))
    if results.empty:
        console.print(
            f"No month of {month_label(first)}..{month_label(last)} has 3 earlier months of data.",
            markup=False,
        )
        return ExitCode.BAD_INPUT
    print_backtest(
        f"Forecast backtest {month_label(first)}..{month_label(last)} "
        f"({INTERVAL_LEVEL:.0%} interval)",
        coverage_by_kpi(results),
    )
    console.print(
        f"RESULT forecasts={len(results)} coverage={results['covered'].mean():.3f} "
        f"mape={results['ape'].mean():.3f}",
        markup=False,
    )
    return ExitCode.PUBLISHED


def cmd_docs(args: argparse.Namespace) -> int:
    """dbt's documentation of the project with the warehouse's catalogue, one static page."""
    from pipelines.settings import get_settings
    from pipelines.transform.dbt_docs import generate_docs
    from pipelines.transform.dbt_runner import DbtError

    settings = get_settings()
    folder = Path(args.out) if args.out else settings.warehouse.parent / "dbt_docs"
    try:
        page = generate_docs(settings, folder, last_closed_month())
    except DbtError as error:  # e.g. a run holds the DuckDB file: one line, not a traceback
        console.print(f"Error: {error}", markup=False, soft_wrap=True)
        return ExitCode.PIPELINE_ERROR
    console.print(f"Wrote {page} (open it in a browser; it needs no server)", markup=False)
    return ExitCode.PUBLISHED


def cmd_snapshots(args: argparse.Namespace) -> int:
    """Every snapshot, of a period or version: one nothing was scored for is exit 2."""
    from pipelines import read_arguments

    filters = {"snapshots.period": parse_month(args.period) if args.period else None}
    filters["snapshots.scorecard_version"] = args.version
    chosen = {column: value for column, value in filters.items() if value is not None}
    where = " and ".join(f"{column} = ?" for column in chosen)
    with published_warehouse() as warehouse:
        if args.version:
            read_arguments.require_version(warehouse, args.version)
        snapshots = warehouse.rows(
            f"""
            select snapshots.*, current_snapshots.snapshot_id is not null as is_current
            from scorecard.snapshots as snapshots
            left join scorecard.current_snapshots as current_snapshots
                on snapshots.snapshot_id = current_snapshots.snapshot_id
            {"where " + where if where else ""}
            order by snapshots.period, snapshots.scored_at
            """,
            list(chosen.values()),
        )
        if not snapshots and args.period:
            asked = f"{args.period}" + (f" under version '{args.version}'" if args.version else "")
            raise ValueError(
                f"no snapshot of {asked} ({read_arguments.published_periods(warehouse)})"
            )
    if not snapshots:
        console.print("No snapshots: nothing was scored yet.")
        return ExitCode.PUBLISHED
    print_snapshots(snapshots)
    return ExitCode.PUBLISHED


def cmd_checks(args: argparse.Namespace) -> int:
    """The checks of the latest run that covered the period; exit 1 if a blocking one failed."""
    period = parse_month(args.period)
    with published_warehouse() as warehouse:
        checks = warehouse.rows(
            """
            with covering as (
                select run_id, max(checked_at) as checked_at
                from quality.check_results
                where period_from <= ? and period_to >= ?
                group by run_id
            ),
            latest as (
                select run_id from covering order by checked_at desc limit 1
            )
            select check_results.*
            from quality.check_results as check_results
            inner join latest
                on check_results.run_id = latest.run_id
            order by check_results.passed, check_results.asset, check_results.check_name
            """,
            [period, period],
        )
    if not checks:
        raise ValueError(f"no checks recorded for {args.period}: no run has covered it")
    failed = [check for check in checks if not check.passed]
    run_id = checks[0].run_id
    if args.failed and not failed:
        console.print(f"{args.period}: all {len(checks)} checks of run {run_id} passed.")
        return ExitCode.PUBLISHED
    title = f"{args.period} · run {run_id} · {len(checks)} checks, {len(failed)} failed"
    print_check_results(title, failed if args.failed else checks)
    blocking = [check for check in failed if check.severity == "blocking"]
    return ExitCode.CHECK_FAILED if blocking else ExitCode.PUBLISHED


def cmd_validate(args: argparse.Namespace) -> int:
    """Check the landing against the contract and the suites, without a run: every problem at
    once. Exit 0 clean, 1 a blocking check would fail, 2 a file cannot be read."""
    from pipelines.config import load_pipeline_config
    from pipelines.extract.landing import LandingRules
    from pipelines.quality.landing_check import check_landing
    from pipelines.quality.policy import load_quality_policy
    from pipelines.scoring.scorecard import load_scorecard
    from pipelines.settings import get_settings

    if bool(args.from_) != bool(args.to):
        raise ValueError("give both --from and --to, or neither (every month in the landing)")
    months = (parse_month(args.from_), parse_month(args.to)) if args.from_ else None
    settings = get_settings()
    load_scorecard(settings.config)  # the deployment's three files are checked, not only two
    landing = args.landing or settings.landing
    started = time.perf_counter()
    config = load_pipeline_config()
    report = check_landing(
        landing,
        load_quality_policy(),
        LandingRules.configured(config, settings.currency),
        months,
        settings.duckdb_memory_limit,
        config.sources,
    )
    for line in report.lines():
        console.print(escape(line), highlight=False)
    console.print(f"Checked {landing} in {time.perf_counter() - started:.1f}s", highlight=False)
    return report.exit_code


def cmd_quarantine(args: argparse.Namespace) -> int:
    if args.table:
        from pipelines.extract.contract import load_contract

        tables = load_contract().tables
        if args.table not in tables:
            raise ValueError(
                f"'{args.table}' is not a table of the input contract; tables: {', '.join(tables)}"
            )
    table_filter = "and table_name = ?" if args.table else ""
    params = [parse_month(args.period), *([args.table] if args.table else [])]
    with published_warehouse() as warehouse:
        quarantined = warehouse.rows(
            f"""
            select * from quality.quarantine
            where period = ? {table_filter}
            order by table_name, quarantined_at, source_row
            """,
            params,
        )
        if not quarantined:
            from pipelines.read_arguments import require_landed

            require_landed(warehouse, parse_month(args.period))
    if not quarantined:
        console.print(f"No quarantined rows for {args.period}.")
        return ExitCode.PUBLISHED
    print_quarantine(f"{args.period} · {len(quarantined)} quarantined rows", quarantined)
    return ExitCode.PUBLISHED


def cmd_migrate(args: argparse.Namespace) -> int:
    from pipelines.settings import get_settings
    from pipelines.warehouse import connect
    from pipelines.warehouse.schema import layout_hash, migrate

    with connect(get_settings()) as warehouse:
        applied = migrate(warehouse)
    state = "applied" if applied else "already in place"
    console.print(f"Warehouse layout {layout_hash()}: {state}.", markup=False)
    return ExitCode.PUBLISHED


def cmd_grant_bi(args: argparse.Namespace) -> int:
    from pipelines.settings import get_settings
    from pipelines.warehouse import connect
    from pipelines.warehouse.bi_role import READABLE_SCHEMAS, grant_bi
    from pipelines.warehouse.schema import ensure_layout

    with connect(get_settings()) as warehouse:
        ensure_layout(warehouse)
        grant_bi(warehouse, args.role)
    console.print(
        f"Role {args.role} (no login) reads {', '.join(READABLE_SCHEMAS)} and quality without "
        f"original rows; grant it to BI's login role: `grant {args.role} to <bi_user>`.",
        markup=False,
    )
    return ExitCode.PUBLISHED


def cmd_serve_spend(args: argparse.Namespace) -> int:
    from pipelines.demo.spend_api import spend_server
    from pipelines.settings import get_settings

    landing = Path(args.landing or get_settings().landing)
    server = spend_server(landing, port=args.port)
    host, port = server.server_address[:2]
    console.print(
        f"Serving the ad spend of {landing} at http://{host}:{port}/spend?month=YYYY-MM "
        "(Ctrl-C stops); a source block: ad_spend: {kind: api, url: "
        f"http://{host}:{port}/spend}}",
        markup=False,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return ExitCode.PUBLISHED


def cmd_init(args: argparse.Namespace) -> int:
    from pipelines.deployment import init_home

    written = init_home(Path(args.directory), force=args.force)
    home = written[0].parent
    for path in written:
        console.print(f"Wrote {path}", markup=False)
    console.print(
        f"Edit them, then point the commands at the directory: "
        f"`{HOME_VARIABLE}={home} scorecard ...` or `scorecard --config-dir {home} ...`",
        markup=False,
    )
    return ExitCode.PUBLISHED


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate, backfill, show the last month and write its HTML report (printing its path)."""
    from pipelines.settings import Target, get_settings

    settings = get_settings()
    last = last_closed_month()
    first = add_months(last, -(DEMO_MONTHS - 1))
    args.from_, args.to = month_label(first), month_label(last)
    cmd_generate(args)
    code = _run(first, last)
    if code != ExitCode.PUBLISHED:
        return code
    cmd_show(
        argparse.Namespace(
            period=month_label(last), entity_type=None, entity=None, version=None, top=5, all=False
        )
    )
    cmd_report(argparse.Namespace(period=month_label(last), out=None))
    where = (
        settings.warehouse if settings.target is Target.DUCKDB else settings.pg_url.split("@")[-1]
    )
    console.print(f"\nWarehouse ({settings.target.value}): {where}")
    return ExitCode.PUBLISHED


def use_home(args: argparse.Namespace) -> None:
    """--config-dir sets SCORECARD_HOME for the process; a home that does not exist is a typo,
    not a new deployment (which would silently start an empty warehouse)."""
    if args.config_dir:
        os.environ[HOME_VARIABLE] = str(Path(args.config_dir).expanduser().resolve())
    home = home_dir()
    if home and not home.is_dir() and args.handler is not cmd_init:
        from pipelines.config import ConfigError

        raise ConfigError(f"{HOME_VARIABLE} {home}: no such directory (scorecard init creates one)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scorecard", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config-dir",
        metavar="DIR",
        help=f"deployment directory (scorecard init), sets {HOME_VARIABLE} for this command",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    init = commands.add_parser("init", help="write a deployment directory (configuration, .env)")
    init.add_argument("directory", metavar="DIR")
    init.add_argument("--force", action="store_true", help="overwrite existing files")
    init.set_defaults(handler=cmd_init)

    generate = commands.add_parser("generate", help="write demo data into the landing directory")
    generate.add_argument("--from", dest="from_", metavar="YYYY-MM")
    generate.add_argument("--to", metavar="YYYY-MM")
    generate.add_argument(
        "--to-sql",
        metavar="URL",
        help="write the CRM and order tables into this database (e.g. sqlite:///shop.db)",
    )
    for command in (
        generate,
        demo := commands.add_parser("demo", help="generate, backfill, show, report"),
    ):
        command.add_argument("--seed", type=int, default=7)
        command.add_argument("--scale", type=float, default=1.0)
        command.add_argument("--format", choices=["csv", "parquet"], default="csv")
        command.add_argument(
            "--profile",
            choices=profile_names(),
            default=DEFAULT_PROFILE,
            help="which sources the demo business has (pipelines/demo/profiles.yaml)",
        )
        command.add_argument(
            "--landing", help="landing directory or URL (default SCORECARD_LANDING)"
        )
    generate.set_defaults(handler=cmd_generate)

    serve_spend = commands.add_parser(
        "serve-spend", help="serve the landing's ad spend as a local JSON API (demo)"
    )
    serve_spend.add_argument("--port", type=int, default=8765)
    serve_spend.add_argument("--landing", help="landing directory (default SCORECARD_LANDING)")
    serve_spend.set_defaults(handler=cmd_serve_spend)
    demo.set_defaults(handler=cmd_demo, to_sql=None)  # the demo lands files only

    validate = commands.add_parser(
        "validate", help="check a landing against the contract and suites, without a run"
    )
    validate.add_argument("--from", dest="from_", metavar="YYYY-MM")
    validate.add_argument("--to", metavar="YYYY-MM")
    validate.add_argument("--landing", help="landing directory or URL (default SCORECARD_LANDING)")
    validate.set_defaults(handler=cmd_validate)

    run = commands.add_parser("run", help="extract, check, score and publish one period")
    run.add_argument("--period", required=True, metavar="YYYY-MM")
    run.set_defaults(handler=cmd_run)

    backfill = commands.add_parser("backfill", help="run a range of periods in one run")
    backfill.add_argument("--from", dest="from_", required=True, metavar="YYYY-MM")
    backfill.add_argument("--to", required=True, metavar="YYYY-MM")
    backfill.set_defaults(handler=cmd_backfill)

    rescore = commands.add_parser(
        "rescore", help="re-score built periods from the marts under a scorecard version"
    )
    rescore.add_argument("--from", dest="from_", required=True, metavar="YYYY-MM")
    rescore.add_argument("--to", required=True, metavar="YYYY-MM")
    rescore.add_argument("--version", help="scorecard version (default: each period's effective)")
    rescore.set_defaults(handler=cmd_rescore)

    show = commands.add_parser("show", help="print the current scorecard of a period")
    show.add_argument(
        "--period", required=True, metavar="PERIOD", help="YYYY-MM, or YYYY-Qn / YYYY rolled up"
    )
    show.add_argument("--entity-type", choices=["company", "team", "rep", "channel", "campaign"])
    show.add_argument("--entity", help="only this entity, with its KPI breakdown")
    show.add_argument(
        "--version", help="a month's latest snapshot scored under this scorecard version"
    )
    show.add_argument(
        "--top", type=int, default=5, metavar="N", help="best and worst N per entity type (5)"
    )
    show.add_argument(
        "--all", action="store_true", help="every entity and KPI (through a pager on a terminal)"
    )
    show.set_defaults(handler=cmd_show)

    report = commands.add_parser("report", help="write the HTML scorecard of a period")
    report.add_argument("--period", required=True, metavar="PERIOD", help="YYYY-MM or YYYY-Qn")
    report.add_argument(
        "--out", metavar="DIR", help="folder to write into (default SCORECARD_REPORTS)"
    )
    report.set_defaults(handler=cmd_report)

    backtest = commands.add_parser(
        "backtest-forecast", help="forecast past months again and measure the interval's coverage"
    )
    backtest.add_argument("--from", dest="from_", required=True, metavar="YYYY-MM")
    backtest.add_argument("--to", required=True, metavar="YYYY-MM")
    backtest.set_defaults(handler=cmd_backtest_forecast)

    docs = commands.add_parser(
        "docs", help="write dbt's documentation of every model and column as one HTML page"
    )
    docs.add_argument("--out", metavar="DIR", help="folder to write into (default: data/dbt_docs)")
    docs.set_defaults(handler=cmd_docs)

    diff = commands.add_parser("diff", help="what changed between two snapshots of a period")
    diff.add_argument("snapshot_a", metavar="SNAPSHOT_A")
    diff.add_argument("snapshot_b", metavar="SNAPSHOT_B")
    diff.set_defaults(handler=cmd_diff)

    snapshots = commands.add_parser("snapshots", help="list published snapshots")
    snapshots.add_argument("--period", metavar="YYYY-MM")
    snapshots.add_argument("--version", help="only the snapshots scored under this version")
    snapshots.set_defaults(handler=cmd_snapshots)

    checks = commands.add_parser("checks", help="the quality checks of a period's latest run")
    checks.add_argument("--period", required=True, metavar="YYYY-MM")
    checks.add_argument("--failed", action="store_true", help="only the checks that failed")
    checks.set_defaults(handler=cmd_checks)

    quarantine = commands.add_parser("quarantine", help="rows of a period set aside, with reasons")
    quarantine.add_argument("--period", required=True, metavar="YYYY-MM")
    quarantine.add_argument("--table", help="one contract table")
    quarantine.set_defaults(handler=cmd_quarantine)

    migrate = commands.add_parser(
        "migrate", help="apply this code's warehouse layout (once per code version, not per run)"
    )
    migrate.set_defaults(handler=cmd_migrate)

    grant_bi = commands.add_parser(
        "grant-bi", help="PostgreSQL: create or refresh the read-only BI role and its grants"
    )
    grant_bi.add_argument("--role", default="scorecard_bi", help="group role name")
    grant_bi.set_defaults(handler=cmd_grant_bi)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from pipelines.warehouse import WarehouseError  # after parsing: --help needs no warehouse

    try:
        use_home(args)
        return int(args.handler(args))
    except ValueError as error:  # ConfigError is one; one line, never wrapped
        console.print(f"[red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        return ExitCode.BAD_INPUT
    except WarehouseError as error:
        console.print(
            f"[red]warehouse error:[/] {escape(str(error))}", highlight=False, soft_wrap=True
        )
        return ExitCode.PIPELINE_ERROR


if __name__ == "__main__":
    sys.exit(main())
