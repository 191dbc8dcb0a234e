"""Helpers for tests that drive Dagster as the daemon would: evaluate a schedule or sensor of the
real Definitions on a real instance, then execute the run requests it returns."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import ClassVar

import fsspec
from dagster import (
    DagsterEventType,
    DagsterInstance,
    ExecuteInProcessResult,
    RunRequest,
    ScheduleEvaluationContext,
    build_schedule_context,
)
from fsspec.implementations.local import LocalFileSystem

from assets.definitions import defs
from assets.runner import QUIET_CONSOLE


def schedule_context(
    at: datetime, instance: DagsterInstance | None = None
) -> ScheduleEvaluationContext:
    """A tick at `at` of a schedule in the code location (its run requests name partitions)."""
    return build_schedule_context(
        instance=instance, scheduled_execution_time=at, repository_def=defs.get_repository_def()
    )


def execute_request(request: RunRequest, instance: DagsterInstance) -> ExecuteInProcessResult:
    """Run a schedule's or sensor's request through the real job, with its partition and tags."""
    job = defs.resolve_job_def(request.job_name or "scorecard_job")
    return job.execute_in_process(
        run_config=QUIET_CONSOLE,
        instance=instance,
        partition_key=request.partition_key,
        tags=request.tags,
        raise_on_error=False,
    )


def step_events(instance: DagsterInstance, run_id: str, step_key: str) -> list[DagsterEventType]:
    """The event types one step of a run went through, in order."""
    return [
        record.dagster_event.event_type
        for record in instance.all_logs(run_id)
        if record.dagster_event and record.dagster_event.step_key == step_key
    ]


def rewrite(path: Path, old: str, new: str) -> None:
    """Replace the first occurrence of `old` in a landing file (it must be there)."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


class FlakyFileSystem(LocalFileSystem):
    """A landing store behind a network that sometimes times out: the local disk under
    `flaky://`, where opening an armed file raises TimeoutError (an OSError) as many times as
    armed, then reads it."""

    protocol = ("flaky",)
    timeouts: ClassVar[dict[str, int]] = {}  # path suffix -> timeouts left

    def _open(self, path: str, mode: str = "rb", **kwargs: object) -> object:
        for suffix, left in self.timeouts.items():
            if left and str(path).endswith(suffix):
                self.timeouts[suffix] = left - 1
                raise TimeoutError(f"{path}: read timed out")
        return super()._open(path, mode, **kwargs)


fsspec.register_implementation("flaky", FlakyFileSystem, clobber=True)
