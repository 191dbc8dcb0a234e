"""Failure alerts: a failed run or a failed blocking check is told to people, with the period(s),
the failing step(s) and the reason (assets/run_alerts.py reads them from the run's event log).

Sinks (settings): every alert is appended as one JSON line to SCORECARD_ALERT_LOG, and POSTed as
JSON to SCORECARD_ALERT_WEBHOOK when that is set. CLI runs alert from the runner; runs launched
by the Dagster daemon (schedules, sensors, UI) alert from the run failure sensor."""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import asdict, dataclass

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
