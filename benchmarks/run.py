"""Benchmark of a run's fixed cost (`make bench-run`): each figure beside its floor, same machine,
same moment.

1. `scorecard demo` (generate 18 demo months, run them as one backfill, show the last), timed as a
   command; its floor is the same landing and SQL in one DuckDB connection (below).
2. One demo month end to end: `scorecard run --period <last month>` on the demo's warehouse,
   timed as a command, three times (the median); its floor: that month's files landed by the
   pipeline's own landing code and every statement dbt sent to the warehouse in a run of it
   (models with their hooks, tests, dbt's own lookups; read from dbt's debug log), with the
   attribution weights learned in between, executed one after another in one DuckDB connection
   on a copy of the warehouse as it was before that run. What the run costs above the floor is
   the orchestration (process start, Dagster, dbt's own work per node), the checks outside dbt
   and the scoring.
3. The read commands (`--help`, show, snapshots, checks, quarantine), median of 5, beside the
   interpreter starting and opening the warehouse read-only.
Prints `uptime` before and after: the machine is shared. A script, not a test."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from assets.dbt_project import RUN_TARGETS
from benchmarks.scratch import scratch_deployment
from pipelines.attribution.weights import refresh_channel_weights
from pipelines.config import load_pipeline_config
from pipelines.extract.contract import load_contract
from pipelines.extract.landing import LandingRules, land_table
from pipelines.periods import months_between, parse_month
from pipelines.settings import get_settings
from pipelines.warehouse import connect
from pipelines.warehouse.schema import ensure_layout

SCORECARD = str(Path(sys.executable).with_name("scorecard"))
READ_REPEATS = 5
MONTH_RUNS = 3
# The run's months, as the demo and `scorecard run` print them.
# A dbt log entry's prefix (colour code, time, level, thread) and a statement sent to the warehouse.
LOG_ENTRY = re.compile(r"^\x1b\[0m[\d:.]+ \[\w+\s*\] \[[^\]]*\]: ", re.MULTILINE)
SENT = re.compile(r"On [\w.-]+: (.*)", re.DOTALL)
TRANSACTION = {"BEGIN", "COMMIT", "ROLLBACK"}
SPAN = re.compile(
    r"for\s+(\d{4}-\d{2})(?:\.\.(\d{4}-\d{2}))?\s+in\s+[\d.]+s\s+\(run\s+([0-9a-f-]{36})\)"
)


def main() -> None:
    folder = scratch_deployment("bench_run_")
    print(f"uptime: {_uptime()}\nscratch folder: {folder}\n", flush=True)
    rows: list[tuple[str, float, str, float | None, str]] = []

    # `make demo` runs after `make manifest`, whose parse leaves dbt's partial-parse state for
    # the demo's warehouse: so here, for the scratch one (not timed).
    subprocess.run([sys.executable, "-m", "assets.dbt_project"], check=True)
    demo_seconds, demo_output = _timed_command(["demo"])
    first, last, _ = _run_of(demo_output)
    # The floor replays the SQL of the same backfill run again with dbt's debug log (untimed), on
    # a warehouse of its own (so it starts empty, as the demo's did).
    again = folder / "demo_again"
    again.mkdir()
    _, again_output = _timed_command(
        ["backfill", "--from", f"{first:%Y-%m}", "--to", f"{last:%Y-%m}"],
        SCORECARD_WAREHOUSE=str(again / Path(os.environ["SCORECARD_WAREHOUSE"]).name),
        DAGSTER_HOME=str(again / "dagster_home"),
        SCORECARD_DBT_LOG_LEVEL="debug",
    )
    demo_floor = _floor(folder / "demo_floor", None, first, last, _run_of(again_output)[2])
    rows.append(("make demo (18 months)", demo_seconds, "its landing + SQL", demo_floor, "<= 45 s"))

    before = folder / "before_month.duckdb"
    shutil.copyfile(folder / "warehouse.duckdb", before)
    month = ["run", "--period", f"{last:%Y-%m}"]
    # The floor replays the SQL of a first run with dbt's debug log (untimed) on the warehouse as
    # it was before that run; then the same month runs MONTH_RUNS times (each re-lands and
    # rebuilds it): the median.
    _, debug_output = _timed_command(month, SCORECARD_DBT_LOG_LEVEL="debug")
    month_floor = _floor(folder / "month_floor", before, last, last, _run_of(debug_output)[2])
    runs = [_timed_command(month) for _ in range(MONTH_RUNS)]
    month_seconds = statistics.median(seconds for seconds, _ in runs)
    rows.append(
        (
            "one demo month end to end (median)",
            month_seconds,
            "its landing + SQL",
            month_floor,
            "<= 15 s",
        )
    )

    warehouse = os.environ["SCORECARD_WAREHOUSE"]
    open_floor = _median(
        [
            sys.executable,
            "-c",
            f"import duckdb; duckdb.connect({warehouse!r}, read_only=True).execute('select 1')",
        ]
    )
    period = last.strftime("%Y-%m")
    for command in (
        ["--help"],
        ["show", "--period", period],
        ["snapshots"],
        ["checks", "--period", period],
        ["quarantine", "--period", period],
    ):
        label, seconds = f"scorecard {' '.join(command)}", _median([SCORECARD, *command])
        rows.append((label, seconds, "python + duckdb", open_floor, "<= 1 s"))

    print(f"\n{'figure':<42} {'seconds':>8}   {'floor':<20} {'seconds':>8} {'x floor':>8}   target")
    for label, seconds, floor_label, floor, target in rows:
        ratio = f"{seconds / floor:8.1f}" if floor else "       -"
        floor_text = f"{floor:8.2f}" if floor is not None else "       -"
        print(f"{label:<42} {seconds:8.2f}   {floor_label:<20} {floor_text} {ratio}   {target}")
    print(f"\nuptime: {_uptime()}")


def _timed_command(arguments: Sequence[str], **environment: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [SCORECARD, *arguments], capture_output=True, text=True, env={**os.environ, **environment}
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"scorecard {' '.join(arguments)} failed:\n{result.stdout}{result.stderr}")
    noted = f" ({', '.join(f'{k}={v}' for k, v in environment.items())})" if environment else ""
    print(f"scorecard {' '.join(arguments)}{noted}: {seconds:.1f} s", flush=True)
    return seconds, result.stdout


def _run_of(output: str) -> tuple[date, date, str]:
    """The months and the run id a command printed in its closing line."""
    match = SPAN.search(output)
    if match is None:
        raise SystemExit(f"no run in the output:\n{output[-2000:]}")
    first = parse_month(match.group(1))
    return first, parse_month(match.group(2)) if match.group(2) else first, match.group(3)


def _median(command: Sequence[str]) -> float:
    times = []
    for _ in range(READ_REPEATS):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _floor(folder: Path, start_from: Path | None, first: date, last: date, run_id: str) -> float:
    """Land the months' files and execute the SQL dbt sent in `run_id` (a run with dbt's debug
    log), in one connection, on a copy of `start_from` (an empty warehouse if None); the seconds
    it took. The copy is named as the warehouse is: the SQL names its catalog (`warehouse`)."""
    folder.mkdir()
    path = folder / Path(os.environ["SCORECARD_WAREHOUSE"]).name
    if start_from:
        shutil.copyfile(start_from, path)
    shared, period = _statements_sent(RUN_TARGETS / run_id / "dbt.log")
    settings = get_settings().model_copy(update={"warehouse": path})
    months = months_between(first, last)
    rules = LandingRules.configured(load_pipeline_config(), settings.currency)
    attribution = load_pipeline_config().attribution
    with connect(settings) as wh:
        ensure_layout(wh)
        started = time.perf_counter()
        for table in load_contract().tables.values():
            land_table(wh, settings.landing, table, months, rules)
        for statement in shared:
            wh.execute(statement)
        refresh_channel_weights(wh, first, last, attribution)
        for statement in period:
            wh.execute(statement)
        return time.perf_counter() - started


def _statements_sent(log: Path) -> list[list[str]]:
    """Each dbt invocation's statements, in order, from a debug log: every `On <node>: <sql>`
    entry that dbt reports a `SQL status` for before its next one (a connection may open in
    between), but the transaction statements (autocommit here)."""
    invocations: list[list[str]] = []
    pending: str | None = None
    for entry in LOG_ENTRY.split(log.read_text()):
        if entry.startswith("Running with dbt="):
            invocations.append([])
        elif sent := SENT.match(entry):
            pending = sent.group(1).strip()
        elif entry.startswith("SQL status") and pending is not None and invocations:
            if pending.upper() not in TRANSACTION:
                invocations[-1].append(pending)
            pending = None
    if len(invocations) != 2:
        raise SystemExit(f"{log}: expected two dbt invocations, found {len(invocations)}")
    return invocations


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    main()
