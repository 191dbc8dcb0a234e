"""Failure alerts: a failed run or a failed blocking check is told to people, with the period(s),
the failing step(s) and the reason, read from the run's own Dagster event log.

Sinks (settings): every alert is appended as one JSON line to SCORECARD_ALERT_LOG, and POSTed as
JSON to SCORECARD_ALERT_WEBHOOK when that is set. CLI runs alert from the runner; runs launched
by the Dagster daemon (schedules, sensors, UI) alert from the run failure sensor."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from dagster import AssetCheckSeverity, DagsterEventType, DagsterInstance
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from pipelines.failures import CHECK_FAILURE_ERROR
from pipelines.periods import month_label, months_between, parse_month
from pipelines.settings import Settings, get_settings

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Alert:
    run_id: str
    job: str
    periods: list[str]
    steps: list[str]
    reasons: list[str]
    launched_by: str  # "cli" or "daemon"
    raised_at: str


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


def send_alert(alert: Alert, settings: Settings | None = None) -> None:
    """Append the alert to the alert log, then POST it to the webhook if one is configured. A
    webhook that cannot be reached is logged, not raised: the alert is in the log either way."""
    settings = settings or get_settings()
    body = json.dumps(asdict(alert), sort_keys=True)
    settings.alert_log.parent.mkdir(parents=True, exist_ok=True)
    with settings.alert_log.open("a", encoding="utf-8") as log:
        log.write(body + "\n")
    if not settings.alert_webhook:
        return
    request = urllib.request.Request(
        settings.alert_webhook,
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS):
            pass
    except OSError as error:
        logger.warning("alert webhook %s failed: %s", settings.alert_webhook, error)
