"""The landing sensor through Dagster: new or changed files trigger a run of the months they
touch, a file landed twice unchanged does not, and the run it requests publishes the month. The
landing is a remote-like store that times out once while the run reads it: extraction retries."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from dagster import DagsterEventType, build_sensor_context

from assets.definitions import defs
from assets.runner import dagster_instance
from tests.orchestration import FlakyFileSystem, execute_request, rewrite, step_events
from tests.pipeline_runs import SECOND, generate_small, query

pytestmark = pytest.mark.integration


def tick(cursor: str | None):
    """One evaluation of the Definitions' landing sensor from `cursor`."""
    sensor = defs.resolve_sensor_def("landing_files")
    context = build_sensor_context(
        instance=dagster_instance(), cursor=cursor, repository_def=defs.get_repository_def()
    )
    return sensor.evaluate_tick(context)


def test_new_and_changed_files_trigger_one_run_of_their_months(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
):
    landing = isolated_env / "landing"
    generate_small(landing, last=SECOND)
    (landing / "orders" / "notes.csv").write_text("not a month\n")
    shutil.copy(landing / "orders" / "2025-02.csv", landing / "orders" / "2999-01.csv")
    monkeypatch.setenv("SCORECARD_LANDING", f"flaky://{landing}")

    first = tick(None)
    [everything] = first.run_requests
    assert everything.partition_key is None
    assert everything.partition_key_range.start == "2025-01-01"
    assert everything.partition_key_range.end == "2025-02-01"
    cursor = json.loads(first.cursor)
    assert not any(path.endswith(("notes.csv", "2999-01.csv")) for path in cursor)

    assert tick(first.cursor).run_requests == []

    orders = landing / "orders" / "2025-02.csv"
    orders.write_bytes(orders.read_bytes())  # landed again, unchanged
    os.utime(orders, (orders.stat().st_atime, orders.stat().st_mtime + 60))
    again = tick(first.cursor)
    assert again.run_requests == []
    assert again.cursor != first.cursor, "the new modification time is remembered"

    original = orders.read_bytes()
    rewrite(orders, ",completed,", ",refunded,")
    changed = tick(again.cursor)
    [february] = changed.run_requests
    assert february.partition_key == "2025-02-01"
    assert february.run_key.startswith("landing-") and february.run_key != everything.run_key
    assert tick(again.cursor).run_requests[0].run_key == february.run_key, "same change, same key"
    assert tick(changed.cursor).run_requests == []
    edited = orders.read_bytes()
    orders.write_bytes(original)
    [back] = tick(changed.cursor).run_requests
    assert back.run_key not in {everything.run_key, february.run_key}, "changed back: run again"
    orders.write_bytes(edited)

    FlakyFileSystem.timeouts["orders/2025-02.csv"] = 1
    instance = dagster_instance()
    result = execute_request(february, instance)
    assert result.success
    assert FlakyFileSystem.timeouts["orders/2025-02.csv"] == 0, "the store timed out once"
    events = step_events(instance, result.run_id, "raw_tables")
    assert DagsterEventType.STEP_UP_FOR_RETRY in events
    assert events[-1] is DagsterEventType.STEP_SUCCESS
    snapshots = query("select period, status, run_id from scorecard.snapshots")
    assert snapshots["run_id"].tolist() == [result.run_id]
    assert snapshots["status"].tolist() == ["final"]
