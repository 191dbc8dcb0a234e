"""Failure alerts through Dagster: a failed backfill (bad input in one month, a failed blocking
check in the other) alerts from the CLI, and the run failure sensor alerts for the same run as it
would for a daemon-launched one; each alert lands in the JSON-lines log and is POSTed to a real
local webhook. Bad input is not retried."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from dagster import DagsterEventType, build_sensor_context

from assets.definitions import defs
from assets.runner import dagster_instance
from pipelines.alerts import Alert, send_alert
from pipelines.cli import main
from pipelines.exit_codes import ExitCode
from pipelines.settings import get_settings
from tests.orchestration import rewrite, step_events
from tests.pipeline_runs import SECOND, generate_small

pytestmark = pytest.mark.integration


class WebhookHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Quiet: the test reads what was received."""


@pytest.fixture
def webhook() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), WebhookHandler)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def read_alerts(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_a_failed_backfill_alerts_from_the_cli_and_from_the_run_failure_sensor(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, webhook: ThreadingHTTPServer, capsys
):
    landing = isolated_env / "landing"
    generate_small(landing, last=SECOND)
    orders = landing / "orders" / "2025-02.csv"
    rewrite(orders, "discount_amount", "discount")
    touchpoints = landing / "touchpoints" / "2025-01.csv"
    touchpoints.write_text(touchpoints.read_text().replace(",paid_search,", ",carrier_pigeon,"))
    log = isolated_env / "alerts.log"
    monkeypatch.setenv("SCORECARD_ALERT_LOG", str(log))
    url = f"http://127.0.0.1:{webhook.server_port}/hooks/scorecard"
    monkeypatch.setenv("SCORECARD_ALERT_WEBHOOK", url)
    instance = dagster_instance()
    sensor = defs.resolve_sensor_def("alert_on_run_failure")
    context = build_sensor_context(instance=instance)
    sensor.evaluate_tick(context)  # the first tick places the cursor after past runs

    capsys.readouterr()
    code = main(["backfill", "--from", "2025-01", "--to", "2025-02"])
    printed = capsys.readouterr().out
    assert code == ExitCode.BAD_INPUT
    table = printed.split("Backfill 2025-01..2025-02")[1]
    assert table.count("failed") >= 2 and "2025-01" in table and "2025-02" in table
    assert "discount_amount" in table

    [alert] = read_alerts(log)
    assert alert["launched_by"] == "cli"
    assert alert["job"] == "scorecard_job"
    assert alert["periods"] == ["2025-01", "2025-02"]
    assert "raw_tables" in alert["steps"]
    assert any(
        str(orders) in reason and "column 'discount_amount' is missing" in reason
        for reason in alert["reasons"]
    )
    assert any(
        reason.startswith("raw/touchpoints: quarantine_share: ") for reason in alert["reasons"]
    )
    assert webhook.received == [("/hooks/scorecard", "application/json", alert)]

    orders_step = step_events(instance, alert["run_id"], "raw_tables")
    assert DagsterEventType.STEP_FAILURE in orders_step
    assert DagsterEventType.STEP_UP_FOR_RETRY not in orders_step, "bad input is not retried"

    sensor.evaluate_tick(context)
    cli_alert, daemon_alert = read_alerts(log)
    assert daemon_alert["launched_by"] == "daemon"
    for field in ("run_id", "periods", "steps", "reasons"):
        assert daemon_alert[field] == cli_alert[field]
    assert [body for _, _, body in webhook.received] == [cli_alert, daemon_alert]


def test_an_unreachable_webhook_still_leaves_the_alert_in_the_log(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, caplog
):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = isolated_env / "alerts" / "alerts.log"
    monkeypatch.setenv("SCORECARD_ALERT_LOG", str(log))
    monkeypatch.setenv("SCORECARD_ALERT_WEBHOOK", f"http://127.0.0.1:{port}/hook")
    alert = Alert("run-1", "scorecard_job", ["2025-01"], ["raw__orders"], ["boom"], "cli", "now")
    with caplog.at_level(logging.WARNING):
        send_alert(alert, get_settings())
    assert read_alerts(log) == [
        {
            "run_id": "run-1",
            "job": "scorecard_job",
            "periods": ["2025-01"],
            "steps": ["raw__orders"],
            "reasons": ["boom"],
            "launched_by": "cli",
            "raised_at": "now",
        }
    ]
    assert "alert webhook" in caplog.text


def test_alert_settings_reject_a_webhook_that_is_not_http(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SCORECARD_ALERT_WEBHOOK", "ftp://example.invalid/hook")
    with pytest.raises(ValueError, match="alert_webhook"):
        get_settings()
