"""Run periods through Dagster (so every run is recorded in DAGSTER_HOME) and say how it ended."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import yaml
from dagster import AssetCheckEvaluation, AssetCheckSeverity, DagsterEventType, DagsterInstance

from assets.dagster_internals import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    make_new_run_id,
)
from assets.run_alerts import alert_for_run
from assets.run_history import STORAGE_CONFIG
from pipelines.alerts import send_alert
from pipelines.exit_codes import ExitCode, RunOutcome
from pipelines.failures import BAD_INPUT, CHECK_FAILURE_ERROR, FAILURE_KIND, GATE_CLOSED
from pipelines.periods import span_label
from pipelines.quality import shape_worker
from pipelines.settings import get_settings
from pipelines.transform.dbt_runner import parse_in_background
from pipelines.warehouse.connection import held_open
from pipelines.warehouse.lock import writer_lock

# The CLI prints its own progress and outcome; the full event log stays in DAGSTER_HOME.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}

NO_TELEMETRY = {"telemetry": {"enabled": False}}
EARLIER_DAGSTER_YAML = yaml.safe_dump(NO_TELEMETRY)  # what versions before the event log wrote

# Dagster's own switch (dagster/_core/storage/event_log/base.py reads it).
PLANNED_EVENTS_AS_SUBSETS = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"
SNAPSHOT_OP = "scorecard__snapshot"  # the op of asset scorecard/snapshot


def dagster_instance() -> DagsterInstance:
    """The instance under DAGSTER_HOME (default: data/dagster_home of the deployment or project),
    created with local storage (the event log of assets/run_history.py) and no telemetry when it
    does not exist yet; a dagster.yaml an earlier version wrote gets the event log too."""
    home = get_settings().dagster_home
    os.environ["DAGSTER_HOME"] = str(home)
    # One planned event per asset for a run over a range of months, not one per asset and month:
    # on SQLite storage the latter cost an 18-month run 13 s before its first step (1,098 events).
    # Dagster's trade-off: a failed run's months show as missing, not failed, on the asset page.
    os.environ.setdefault(PLANNED_EVENTS_AS_SUBSETS, "true")
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "dagster.yaml"
    if not settings.exists() or settings.read_text() == EARLIER_DAGSTER_YAML:
        settings.write_text(yaml.safe_dump({**NO_TELEMETRY, **STORAGE_CONFIG}, sort_keys=False))
    return DagsterInstance.get()


def run_periods(
    first: date,
    last: date,
    on_step: Callable[[int, int, str], None] | None = None,
    rescore_version: str | None = None,
    rescore: bool = False,
) -> RunOutcome:
    """Run the scorecard job over first..last as ONE run (single-run backfill policy); with
    `rescore`, the rescore job (snapshot only, under `rescore_version` if given)."""
    if not rescore:
        shape_worker.start()  # great-expectations imports on the other core meanwhile
    # Imported here: they read pipeline.yaml, which --config-dir may choose after start-up.
    from assets.definitions import defs
    from assets.partitions import partition_key

    job = defs.resolve_job_def("rescore_job" if rescore else "scorecard_job")
    run_config = dict(QUIET_CONSOLE)
    if rescore:
        snapshot = {"rescore": True, "scorecard_version": rescore_version or ""}
        run_config["ops"] = {SNAPSHOT_OP: {"config": snapshot}}
    instance = dagster_instance()
    run_id = make_new_run_id()
    tags = {
        ASSET_PARTITION_RANGE_START_TAG: partition_key(first),
        ASSET_PARTITION_RANGE_END_TAG: partition_key(last),
    }
    steps_total = len(job.graph.node_defs)
    log_path = Path(instance.root_directory) / "logs" / f"{run_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    done = threading.Event()
    settings = get_settings()
    # dbt's own output goes to the run's log file, not over the terminal's progress bar.
    with (
        writer_lock(settings, run_id, first, last),
        held_open(settings),
        open(log_path, "w") as log,
        contextlib.redirect_stdout(log),
    ):
        if not rescore:
            parse_in_background()  # dbt's parse overlaps the landing, which waits on DuckDB
        if on_step:
            watcher = threading.Thread(
                target=_watch_steps,
                args=(instance, run_id, steps_total, on_step, done),
                daemon=True,
            )
            watcher.start()
        try:
            result = job.execute_in_process(
                run_config=run_config,
                instance=instance,
                run_id=run_id,
                tags=tags,
                raise_on_error=False,
            )
        finally:
            done.set()
    outcome = _outcome(run_id, result, span_label(first, last))
    outcome.log_path = log_path
    if outcome.exit_code is not ExitCode.PUBLISHED:
        send_alert(alert_for_run(instance, run_id, launched_by="cli"))
    return outcome


def _watch_steps(
    instance: DagsterInstance,
    run_id: str,
    total: int,
    on_step: Callable[[int, int, str], None],
    done: threading.Event,
) -> None:
    """Report finished steps as they land in the event log (progress for people), reading only
    the step-end events written since the last look."""
    finished = {
        DagsterEventType.STEP_SUCCESS,
        DagsterEventType.STEP_FAILURE,
        DagsterEventType.STEP_SKIPPED,
    }
    seen: set[str] = set()
    cursor: str | None = None
    while not done.wait(0.5):
        page = instance.get_records_for_run(run_id, cursor=cursor, of_type=finished)
        cursor = page.cursor
        for record in page.records:
            event = record.event_log_entry.dagster_event
            if event and event.step_key not in seen:
                seen.add(event.step_key)
                on_step(len(seen), total, event.step_key)


def not_published_sentence(label: str, evaluation: AssetCheckEvaluation) -> str:
    """Why a period was not published, in one sentence a person understands, e.g. `2025-01 was
    not published: raw.touchpoints quarantine_share failed: 42 of 300 rows were quarantined
    (14.0%), more than the allowed 1.00%.`"""
    failing_rows = evaluation.metadata.get("dagster_dbt/failed_row_count")
    why = evaluation.description or (
        f"{failing_rows.value} failing rows" if failing_rows else "see `scorecard checks`"
    )
    verb = "were" if ".." in label else "was"
    return (
        f"{label} {verb} not published: {'.'.join(evaluation.asset_key.path)} "
        f"{evaluation.check_name} failed: {why.rstrip('.')}."
    )


def _outcome(run_id: str, result: object, label: str) -> RunOutcome:
    # Only ERROR severity blocks (a failed warning is recorded and the period still publishes).
    failed_checks = [
        not_published_sentence(label, e)
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity is AssetCheckSeverity.ERROR
    ]
    kinds, messages = set(), []
    for event in result.get_step_failure_events():
        data = event.step_failure_data
        if data.error and data.error.cls_name == CHECK_FAILURE_ERROR:
            continue
        user = data.user_failure_data
        kind = user.metadata.get(FAILURE_KIND) if user else None
        kinds.add(getattr(kind, "value", kind))
        message = user.description if user and user.description else data.error.message
        messages.append(f"{event.step_key}: {message.strip()}")
    if result.success and not failed_checks:
        return RunOutcome(run_id, ExitCode.PUBLISHED)
    if BAD_INPUT in kinds:
        return RunOutcome(run_id, ExitCode.BAD_INPUT, messages)
    if failed_checks or GATE_CLOSED in kinds:
        return RunOutcome(run_id, ExitCode.CHECK_FAILED, failed_checks + messages)
    return RunOutcome(run_id, ExitCode.PIPELINE_ERROR, messages)
