"""`scorecard`: generate demo data, run or backfill periods, show scorecards and snapshots.

Exit codes: 0 published, 1 a blocking check failed (nothing published), 2 bad input or
configuration, 3 another pipeline error."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from pipelines.config import ConfigError, load_pipeline_config
from pipelines.display import (
    console,
    pinned_console,
    print_entity_scores,
    print_kpi_breakdown,
    print_snapshots,
)
from pipelines.periods import add_months, month_label, months_between, parse_month
from pipelines.runner import ExitCode, RunOutcome, run_periods
from pipelines.scoring.scorecard import load_scorecard
from pipelines.settings import Target, get_settings
from pipelines.warehouse import WarehouseError, connect

DEMO_MONTHS = 18


def last_closed_month(today: date | None = None) -> date:
    return add_months((today or datetime.now(UTC).date()).replace(day=1), -1)


def cmd_generate(args: argparse.Namespace) -> int:
    from pipelines.demo.generator import generate

    last = parse_month(args.to) if args.to else last_closed_month()
    first = parse_month(args.from_) if args.from_ else add_months(last, -(DEMO_MONTHS - 1))
    landing = args.landing or get_settings().landing
    started = time.perf_counter()
    summary = generate(
        landing, first, last, seed=args.seed, scale=args.scale, file_format=args.format
    )
    rows = sum(summary.rows.values())
    console.print(
        f"Generated {len(summary.months)} months ({month_label(first)}..{month_label(last)}), "
        f"{rows:,} rows in {len(summary.rows)} tables, into {landing} "
        f"in {time.perf_counter() - started:.1f}s"
    )
    return ExitCode.PUBLISHED


def _run(first: date, last: date) -> int:
    # Configuration is checked before anything runs: a bad file is exit 2, not a failed run.
    load_pipeline_config()
    load_scorecard(get_settings().config).version_for(first)
    months = months_between(first, last)
    label = month_label(first) if first == last else f"{month_label(first)}..{month_label(last)}"
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
        task = progress.add_task(f"Scoring {label}", total=None, step="")

        def on_step(done: int, total: int, step: str) -> None:
            progress.update(task, completed=done, total=total, step=step)

        outcome = run_periods(first, last, on_step=on_step)
    _report(outcome, label, len(months), time.perf_counter() - started)
    return outcome.exit_code


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
        console.print(f"  - {problem}", markup=False)
    if outcome.log_path:
        console.print(f"Full log: {outcome.log_path}", markup=False)


def cmd_run(args: argparse.Namespace) -> int:
    month = parse_month(args.period)
    return _run(month, month)


def cmd_backfill(args: argparse.Namespace) -> int:
    return _run(parse_month(args.from_), parse_month(args.to))


def cmd_show(args: argparse.Namespace) -> int:
    period = parse_month(args.period)
    with connect(get_settings()) as warehouse:
        entity_filter = "and entity_type = ?" if args.entity_type else ""
        params: list[object] = [period] + ([args.entity_type] if args.entity_type else [])
        scores = warehouse.query(
            f"""
            select * from scorecard.current_entity_scores
            where period = ? {entity_filter}
            order by
                case entity_type
                    when 'company' then 1 when 'team' then 2 when 'rep' then 3
                    when 'channel' then 4 else 5
                end,
                rank nulls last,
                entity_id
            """,
            params,
        )
        if scores.empty:
            console.print(f"No published scorecard for {month_label(period)}.")
            return ExitCode.PUBLISHED
        for entity_type, frame in scores.groupby("entity_type", sort=False):
            print_entity_scores(f"{month_label(period)} · {entity_type}", frame)
        if args.entity:
            kpis = warehouse.query(
                "select * from scorecard.current_kpi_scores where period = ? and entity_id = ? "
                "order by entity_type, kpi",
                [period, args.entity],
            )
            print_kpi_breakdown(f"{month_label(period)} · {args.entity} · KPIs", kpis)
    return ExitCode.PUBLISHED


def cmd_snapshots(args: argparse.Namespace) -> int:
    period_filter = "where snapshots.period = ?" if args.period else ""
    params = [parse_month(args.period)] if args.period else []
    with connect(get_settings()) as warehouse:
        frame = warehouse.query(
            f"""
            select snapshots.*, current_snapshots.snapshot_id is not null as is_current
            from scorecard.snapshots as snapshots
            left join scorecard.current_snapshots as current_snapshots
                on snapshots.snapshot_id = current_snapshots.snapshot_id
            {period_filter}
            order by snapshots.period, snapshots.scored_at
            """,
            params,
        )
    print_snapshots(frame)
    return ExitCode.PUBLISHED


def cmd_demo(args: argparse.Namespace) -> int:
    settings = get_settings()
    last = last_closed_month()
    first = add_months(last, -(DEMO_MONTHS - 1))
    args.from_, args.to = month_label(first), month_label(last)
    cmd_generate(args)
    code = _run(first, last)
    if code != ExitCode.PUBLISHED:
        return code
    cmd_show(argparse.Namespace(period=month_label(last), entity_type=None, entity=None))
    where = (
        settings.warehouse if settings.target is Target.DUCKDB else settings.pg_url.split("@")[-1]
    )
    console.print(f"\nWarehouse ({settings.target.value}): {where}")
    return ExitCode.PUBLISHED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scorecard", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write demo data into the landing directory")
    generate.add_argument("--from", dest="from_", metavar="YYYY-MM")
    generate.add_argument("--to", metavar="YYYY-MM")
    for command in (generate, demo := commands.add_parser("demo", help="generate, backfill, show")):
        command.add_argument("--seed", type=int, default=7)
        command.add_argument("--scale", type=float, default=1.0)
        command.add_argument("--format", choices=["csv", "parquet"], default="csv")
        command.add_argument(
            "--landing", help="landing directory or URL (default SCORECARD_LANDING)"
        )
    generate.set_defaults(handler=cmd_generate)
    demo.set_defaults(handler=cmd_demo)

    run = commands.add_parser("run", help="extract, check, score and publish one period")
    run.add_argument("--period", required=True, metavar="YYYY-MM")
    run.set_defaults(handler=cmd_run)

    backfill = commands.add_parser("backfill", help="run a range of periods in one run")
    backfill.add_argument("--from", dest="from_", required=True, metavar="YYYY-MM")
    backfill.add_argument("--to", required=True, metavar="YYYY-MM")
    backfill.set_defaults(handler=cmd_backfill)

    show = commands.add_parser("show", help="print the current scorecard of a period")
    show.add_argument("--period", required=True, metavar="YYYY-MM")
    show.add_argument("--entity-type", choices=["company", "team", "rep", "channel", "campaign"])
    show.add_argument("--entity", help="also print this entity's KPI breakdown")
    show.set_defaults(handler=cmd_show)

    snapshots = commands.add_parser("snapshots", help="list published snapshots")
    snapshots.add_argument("--period", metavar="YYYY-MM")
    snapshots.set_defaults(handler=cmd_snapshots)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (ConfigError, ValueError) as error:
        console.print(f"[red]error:[/] {error}", highlight=False)
        return ExitCode.BAD_INPUT
    except WarehouseError as error:
        console.print(f"[red]warehouse error:[/] {error}", highlight=False)
        return ExitCode.PIPELINE_ERROR


if __name__ == "__main__":
    sys.exit(main())
