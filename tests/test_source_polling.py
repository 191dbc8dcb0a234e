"""The hourly poll of database sources: a run of the months whose rows changed since the table's
watermark, nothing when none did, and a once-changed row's month alone after a late update; a
database that is down fails the raw step as worth a retry."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from dagster import AssetKey, RunRequest, SkipReason, build_schedule_context, materialize

from assets.dagster_internals import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from assets.definitions import defs
from assets.extract import raw_tables
from assets.partitions import partition_key
from assets.runner import dagster_instance
from assets.schedules import poll_sources
from pipelines.config import load_pipeline_config
from pipelines.extract.contract import load_contract
from pipelines.extract.landing import LandingRules, land_table
from pipelines.extract.sources import sql as sql_source
from pipelines.home import DEMO_CONFIG_DIR
from pipelines.settings import get_settings
from pipelines.warehouse import connect
from pipelines.warehouse.schema import ensure_layout

SOURCES = """
sources:
  orders:
    kind: sql
    url_env: SCORECARD_TEST_POLL_URL
    table: orders
    period_column: ordered_at
"""
ORDERS = [
    ("o1", "c1", "2025-01-03 10:00:00", "completed", "USD", 100, 5, "2025-01-03 11:00:00"),
    ("o2", "c2", "2025-02-04 10:00:00", "completed", "USD", 50, 0, "2025-02-04 11:00:00"),
]
RULES = LandingRules(channels=["direct"], currencies=["USD"], now=datetime(2026, 1, 1, tzinfo=UTC))
TICK = datetime(2025, 3, 10, 12, 15, tzinfo=UTC)


@pytest.fixture
def deployment(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = isolated_env / "home"
    home.mkdir()
    for name in ("pipeline.yaml", "scorecard.yaml", "quality.yaml"):
        shutil.copy(DEMO_CONFIG_DIR / name, home / name)
    with open(home / "pipeline.yaml", "a") as pipeline:
        pipeline.write(SOURCES)
    monkeypatch.setenv("SCORECARD_HOME", str(home))
    database = isolated_env / "shop.db"
    with sqlite3.connect(database) as shop:
        shop.execute(
            "create table orders (order_id text, customer_id text, ordered_at timestamp, "
            "status text, currency text, gross_amount numeric, discount_amount numeric, "
            "updated_at timestamp)"
        )
        shop.executemany("insert into orders values (?, ?, ?, ?, ?, ?, ?, ?)", ORDERS)
    monkeypatch.setenv("SCORECARD_TEST_POLL_URL", f"sqlite:///{database}")
    with connect(get_settings()) as warehouse:
        ensure_layout(warehouse)
    return database


def poll() -> RunRequest | SkipReason:
    return poll_sources(build_schedule_context(scheduled_execution_time=TICK))


def land(months: list[date]) -> None:
    source = load_pipeline_config().source_of("orders")
    with connect(get_settings()) as warehouse:
        land_table(warehouse, "unused", load_contract().table("orders"), months, RULES, source)


def test_the_poll_runs_changed_months_only(deployment: Path):
    first = poll()
    assert isinstance(first, RunRequest)
    assert first.tags[ASSET_PARTITION_RANGE_START_TAG] == "2025-01-01"
    assert first.tags[ASSET_PARTITION_RANGE_END_TAG] == "2025-02-01"

    land([date(2025, 1, 1), date(2025, 2, 1)])
    assert isinstance(poll(), SkipReason)

    with sqlite3.connect(deployment) as shop:
        shop.execute(
            "update orders set gross_amount = 120, updated_at = '2025-03-01 08:00:00' "
            "where order_id = 'o1'"
        )
    late = poll()
    assert isinstance(late, RunRequest)
    assert late.partition_key == "2025-01-01"
    assert late.run_key != first.run_key


def test_a_database_that_is_down_fails_the_step_as_worth_a_retry(deployment, monkeypatch):
    """The raw step names the table and the variable, lands nothing of the table, and is retried
    by the retry policy (a bad file is not)."""
    monkeypatch.setenv("SCORECARD_TEST_POLL_URL", "postgresql://postgres:s3cret@127.0.0.1:1/shop")
    monkeypatch.setattr(sql_source, "FIRST_BACKOFF_SECONDS", 0.01)
    result = materialize(
        [raw_tables],
        selection=[AssetKey(["raw", "orders"])],
        partition_key=partition_key(date(2025, 1, 1)),
        resources=defs.resources,
        instance=dagster_instance(),
        raise_on_error=False,
    )
    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(retries) == 2 and len(failures) == 1
    message = failures[0].event_specific_data.error.to_string()
    assert "raw.orders: the database in SCORECARD_TEST_POLL_URL did not answer" in message
    assert "s3cret" not in message
    with connect(get_settings()) as warehouse:
        assert warehouse.scalar("select count(*) from raw.orders") == 0
