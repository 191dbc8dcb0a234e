"""Benchmark of a run's fixed cost (`make bench-run`): each figure beside its floor, same machine,
same moment.

1. `scorecard demo` (generate 18 demo months, run them as one backfill, show the last), timed as a
   command; its floor is the same landing and SQL in one DuckDB connection (below).
2. One demo month end to end: `scorecard run --period <last month>` on the demo's warehouse,
   timed as a command, three times (the median); its floor: that month's files landed by the
   pipeline's own landing code and every SQL statement dbt ran for the run (each model's
   compiled query, each test's query, the attribution weights learned in between), executed one
   after another in one DuckDB connection
   on a copy of the warehouse as it was before the run. What the run costs above the floor is
   the orchestration (process start, Dagster, dbt's own work per node), the checks outside dbt
   and the scoring.
3. The read commands (`--help`, show, snapshots, checks, quarantine), median of 5, beside the
   interpreter starting and opening the warehouse read-only.
Prints `uptime` before and after: the machine is shared. A script, not a test."""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from assets.dbt_project import MANIFEST_PATH, RUN_TARGETS
from benchmarks.scratch import scratch_deployment
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
    first, last, demo_run = _run_of(demo_output)
    demo_floor = _floor(folder / "demo_floor", None, first, last, demo_run)
    rows.append(("make demo (18 months)", demo_seconds, "its landing + SQL", demo_floor, "<= 45 s"))

    before = folder / "before_month.duckdb"
    shutil.copyfile(folder / "warehouse.duckdb", before)
    # The same month run MONTH_RUNS times (each re-lands and rebuilds it): the median.
    runs = [_timed_command(["run", "--period", last.strftime("%Y-%m")]) for _ in range(MONTH_RUNS)]
    _, _, month_run = _run_of(runs[0][1])
    month_floor = _floor(folder / "month_floor", before, last, last, month_run)
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


def _timed_command(arguments: Sequence[str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([SCORECARD, *arguments], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"scorecard {' '.join(arguments)} failed:\n{result.stdout}{result.stderr}")
    print(f"scorecard {' '.join(arguments)}: {seconds:.1f} s", flush=True)
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
    """Land the months' files and execute the SQL dbt ran in `run_id`, in one connection, on a
    copy of `start_from` (an empty warehouse if None); the seconds it took. The copy is named as
    the warehouse is: the compiled SQL names its catalog (`warehouse`)."""
    folder.mkdir()
    path = folder / Path(os.environ["SCORECARD_WAREHOUSE"]).name
    if start_from:
        shutil.copyfile(start_from, path)
    statements = _run_statements(run_id, first, last)
    settings = get_settings().model_copy(update={"warehouse": path})
    months = months_between(first, last)
    rules = LandingRules.configured(load_pipeline_config(), settings.currency)
    with connect(settings) as wh:
        ensure_layout(wh)
        started = time.perf_counter()
        for table in load_contract().tables.values():
            land_table(wh, settings.landing, table, months, rules)
        for statement in statements:
            statement(wh)
        return time.perf_counter() - started


def _run_statements(run_id: str, first: date, last: date) -> list[Callable[[Any], None]]:
    """What dbt executed in the run, in dependency order: models (tables, views, the incremental
    marts' period delete and insert), the attribution weights before the first model that reads
    them, then every test's query."""
    from pipelines.attribution.weights import refresh_channel_weights

    compiled = {p.name: p for p in (RUN_TARGETS / run_id / "compiled").rglob("*.sql")}
    nodes = json.loads(MANIFEST_PATH.read_text())["nodes"]
    models = _topological([n for n in nodes.values() if n["resource_type"] == "model"])
    after_weights = _downstream_of_weights(models)
    attribution = load_pipeline_config().attribution
    statements: list[Callable[[Any], None]] = []
    for node in [m for m in models if m["unique_id"] not in after_weights]:
        sql = compiled[Path(node["original_file_path"]).name].read_text()
        statements.append(_model_statement(node, sql, first, last))
    statements.append(lambda wh: refresh_channel_weights(wh, first, last, attribution))
    for node in [m for m in models if m["unique_id"] in after_weights]:
        sql = compiled[Path(node["original_file_path"]).name].read_text()
        statements.append(_model_statement(node, sql, first, last))
    for node in nodes.values():
        if node["resource_type"] == "test" and Path(node["path"]).name in compiled:
            sql = compiled[Path(node["path"]).name].read_text()
            statements.append(lambda wh, sql=sql: wh.query(f"select count(*) from ({sql}) as t"))
    return statements


def _model_statement(
    node: dict[str, Any], sql: str, first: date, last: date
) -> Callable[[Any], None]:
    relation = f"{node['config']['schema']}.{node['name']}"
    kind = node["config"]["materialized"]

    def run(wh: Any) -> None:
        wh.execute(f"create schema if not exists {node['config']['schema']}")
        exists = wh.scalar(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [node["config"]["schema"], node["name"]],
        )
        if kind == "incremental" and exists:
            if "period" in node["tags"]:
                wh.execute(f"delete from {relation} where period between ? and ?", [first, last])
            else:  # incremental strategy `replace`: the whole content
                wh.execute(f"delete from {relation}")
            wh.execute(f"insert into {relation} by name {sql}")
        else:
            object_kind = "view" if kind == "view" else "table"
            wh.execute(f"create or replace {object_kind} {relation} as {sql}")

    return run


def _downstream_of_weights(ordered_models: list[dict[str, Any]]) -> set[str]:
    """The models that read the attribution weights, directly or through another model."""
    downstream: set[str] = set()
    for model in ordered_models:  # parents come first
        parents = model["depends_on"]["nodes"]
        if any("attribution.channel_weights" in p or p in downstream for p in parents):
            downstream.add(model["unique_id"])
    return downstream


def _topological(models: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {model["unique_id"]: model for model in models}
    ordered: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(unique_id: str) -> None:
        if unique_id in seen or unique_id not in by_id:
            return
        seen.add(unique_id)
        for parent in by_id[unique_id]["depends_on"]["nodes"]:
            visit(parent)
        ordered.append(by_id[unique_id])

    for unique_id in by_id:
        visit(unique_id)
    return ordered


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    main()
