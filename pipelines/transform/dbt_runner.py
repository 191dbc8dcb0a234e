"""dbt in this process, on a project parsed once.

A dbt subprocess costs seconds before its first query: the interpreter, dbt's imports and a parse
of the whole project (partial parsing is lost whenever `--vars` change, and a run's months are
vars). Here the project is parsed once per process and target, with only the vars that shape the
graph (the KPI catalogue), so dbt's partial parsing keeps the parse to about a second; every build
then runs on that manifest with the run's own vars, which dbt reads when it compiles each node."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.config import PROJECT_ROOT
from pipelines.scoring.kpi_catalogue import dbt_kpis
from pipelines.settings import get_settings

if TYPE_CHECKING:
    from dbt.contracts.graph.manifest import Manifest
    from dbt_common.events.base_types import EventMsg

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# The events that carry one node's result, as dbt's JSON log writes them.
RESULT_EVENTS = frozenset({"LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult"})


class DbtError(RuntimeError):
    """dbt could not parse the project or start a command (not a failed model or test)."""


@dataclass
class DbtInvocation:
    """What one dbt command did: every node's result event (dbt's JSON log format), each executed
    node's status and SQL by unique id (a failed test's SQL finds its failing rows), dbt's message
    for each node that did not pass (a failed unit test's is the diff of its expected and actual
    rows), and what went wrong other than a test's verdict (a model that errored, dbt itself)."""

    success: bool
    result_events: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)
    compiled_sql: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def parse_vars() -> dict[str, Any]:
    """The vars a parse sees: those that decide the graph (which sources a KPI reads). A run's
    months never reach the parse, so a new month keeps the parse partial."""
    return {"kpis": dbt_kpis()}


def export_dbt_env() -> None:
    """Put the variables profiles.yml reads (the warehouse the settings point at) into the
    environment, where dbt reads them when a command starts."""
    os.environ.update(get_settings().dbt_env())


_parse_lock = threading.Lock()
_manifests: dict[tuple[Path, str, str], Manifest] = {}


def parse_target_path(project_dir: Path, target: str) -> Path:
    """Where a parse keeps its partial-parse state, which dbt keys by the profile (the adapter's
    macros are in the manifest, and a DuckDB profile includes the file's path). A DuckDB
    warehouse keeps its own beside the file, so runs on another warehouse (a test's, another
    deployment's) never make it parse the whole project again; PostgreSQL's is per target."""
    if target == "duckdb":
        warehouse = Path(os.environ["SCORECARD_WAREHOUSE"])
        project = hashlib.sha1(str(project_dir.resolve()).encode()).hexdigest()[:8]
        return warehouse.parent / ".dbt_parse" / f"{warehouse.stem}-{project}"
    return project_dir / "target" / "parse" / target


def parsed_manifest(project_dir: Path = DBT_PROJECT_DIR, write_json: bool = False) -> Manifest:
    """The project parsed for the current target, once per process (later calls reuse it);
    `write_json` also writes its manifest.json (a run needs only the object). The target is the
    one the environment names (export_dbt_env)."""
    target = os.environ["SCORECARD_TARGET"]
    # The parse writes the target's database name into every node: another database (a test's
    # scratch database) needs its own parse.
    key = (project_dir.resolve(), target, _database_name(target))
    with _parse_lock:
        if key not in _manifests or write_json:
            _manifests[key] = _parse(project_dir, target, write_json)
        return _manifests[key]


def parse_in_background(project_dir: Path = DBT_PROJECT_DIR) -> None:
    """Parse the project for the warehouse the settings name, in a thread: a run starts it as it
    begins, so the parse overlaps steps that wait on DuckDB, not on Python. The first build
    waits for it; a parse that failed here is tried again there, and fails there by name."""
    export_dbt_env()
    threading.Thread(target=_parse_quietly, args=(project_dir,), daemon=True).start()


def _parse_quietly(project_dir: Path) -> None:
    with contextlib.suppress(Exception):
        parsed_manifest(project_dir)


def _parse(project_dir: Path, target: str, write_json: bool) -> Manifest:
    from dbt.cli.main import dbtRunner

    folder = parse_target_path(project_dir, target)
    folder.mkdir(parents=True, exist_ok=True)
    # Processes parsing at once (a run beside `make manifest`, test workers) take turns: each
    # reads the partial-parse state the previous one wrote whole.
    with open(folder / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = dbtRunner().invoke(
            [
                "parse",
                "--quiet",
                "--write-json" if write_json else "--no-write-json",
                *_location_args(project_dir, folder),
                "--vars",
                json.dumps(parse_vars()),
            ]
        )
    if not result.success or result.result is None:
        raise DbtError(f"dbt could not parse {project_dir}: {result.exception or 'see its log'}")
    return result.result


def _database_name(target: str) -> str:
    if target == "postgres":
        return os.environ["SCORECARD_PG_DBNAME"]
    return Path(os.environ["SCORECARD_WAREHOUSE"]).stem  # DuckDB names a file's catalog so


def write_manifest(destination: Path, project_dir: Path = DBT_PROJECT_DIR) -> None:
    """Parse the project and keep its manifest.json at `destination` (the Dagster definitions
    read the graph from it)."""
    export_dbt_env()
    parsed_manifest(project_dir, write_json=True)
    target = os.environ["SCORECARD_TARGET"]
    shutil.copyfile(parse_target_path(project_dir, target) / "manifest.json", destination)


def run_dbt(
    command: str,
    arguments: Sequence[str],
    variables: Mapping[str, Any],
    target_path: Path,
    *,
    project_dir: Path = DBT_PROJECT_DIR,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> DbtInvocation:
    """`dbt <command> <arguments>` (build, run, test) with `variables`, in this process, on the
    warehouse the environment names (export_dbt_env); the compiled SQL and the log in
    `target_path`. `on_result` hears each node's result as it finishes."""
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    build = DbtInvocation(success=False)

    def collect(message: EventMsg) -> None:
        if message.info.name in RESULT_EVENTS:
            event = msg_to_dict(message)
            build.result_events.append(event)
            if on_result:
                on_result(event)

    runner = dbtRunner(manifest=parsed_manifest(project_dir), callbacks=[collect])
    try:
        result = runner.invoke(
            [
                command,
                *arguments,
                "--quiet",
                # The manifest is the parse's; results come back in this process, not as files.
                "--no-write-json",
                # What a person reads after a failure; `debug` adds every statement sent.
                "--log-level-file",
                get_settings().dbt_log_level,
                *_location_args(project_dir, target_path),
                "--vars",
                json.dumps(variables),
            ]
        )
    finally:
        _release_duckdb()
    build.success = result.success
    for node_result in getattr(result.result, "results", None) or []:
        node = node_result.node
        if compiled := getattr(node, "compiled_code", None):
            build.compiled_sql[node.unique_id] = compiled
        build.statuses[node.unique_id] = getattr(
            node_result.status, "value", str(node_result.status)
        )
        if node_result.message and build.statuses[node.unique_id] not in ("pass", "success"):
            build.messages[node.unique_id] = str(node_result.message)
        if node_result.status == "error":
            build.errors.append(f"{node.unique_id}: {node_result.message}")
    if result.exception is not None:
        build.errors.append(f"{type(result.exception).__name__}: {result.exception}")
    return build


def _release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb may keep open in this process after a command: the
    run's own connections (read-only ones included) need the file to themselves."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    try:
        environment = DuckDBConnectionManager.env()
    except Exception:  # dbt-duckdb raises a bare Exception when no command opened DuckDB
        return
    environment.close()
    DuckDBConnectionManager.close_all_connections()


def _location_args(project_dir: Path, target_path: Path) -> list[str]:
    return [
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path),
    ]
