"""Failure alerts built from what the Dagster instance recorded of a run (its tags and event
log); pipelines/alerts.py sends them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from dagster import AssetCheckSeverity, DagsterEventType, DagsterInstance

from assets.dagster_internals import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)
from pipelines.alerts import Alert
from pipelines.failures import CHECK_FAILURE_ERROR
from pipelines.periods import month_label, months_between, parse_month


def alert_for_run(instance: DagsterInstance, run_id: str, launched_by: str) -> Alert:
    """The alert of a failed run: its periods, failed steps and failed blocking checks."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise ValueError(f"no run {run_id} in the Dagster instance")
    steps: list[str] = []
    reasons: list[str] = []
    run_failure = ""
    records = instance.all_logs(
        run_id,
        of_type={
            DagsterEventType.STEP_FAILURE,
            DagsterEventType.ASSET_CHECK_EVALUATION,
            DagsterEventType.RUN_FAILURE,
        },
    )
    for record in records:
        event = record.dagster_event
        if event.event_type is DagsterEventType.RUN_FAILURE:
            run_failure = event.message or "the run failed"
        elif event.event_type is DagsterEventType.ASSET_CHECK_EVALUATION:
            check = event.asset_check_evaluation_data
            if not check.passed and check.severity is AssetCheckSeverity.ERROR:
                reasons.append(
                    f"{check.asset_key.to_user_string()}: {check.check_name}: "
                    f"{check.description or 'failed'}"
                )
        else:
            steps.append(event.step_key)
            failure = event.step_failure_data
            if failure.error and failure.error.cls_name == CHECK_FAILURE_ERROR:
                continue
            user = failure.user_failure_data
            message = user.description if user and user.description else failure.error.message
            reasons.append(f"{event.step_key}: {message.strip()}")
    return Alert(
        run_id=run_id,
        job=run.job_name,
        periods=run_periods_of(run.tags),
        steps=sorted(set(steps)),
        reasons=reasons or [run_failure or "the run failed"],
        launched_by=launched_by,
        raised_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def run_periods_of(tags: Mapping[str, str]) -> list[str]:
    """The months (YYYY-MM) a run covered: its partition or partition range."""
    first = tags.get(ASSET_PARTITION_RANGE_START_TAG) or tags.get(PARTITION_NAME_TAG)
    last = tags.get(ASSET_PARTITION_RANGE_END_TAG) or tags.get(PARTITION_NAME_TAG)
    if not (first and last):
        return []
    return [month_label(m) for m in months_between(parse_month(first), parse_month(last))]
