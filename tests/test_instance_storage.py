"""The Dagster instance on PostgreSQL: a DAGSTER_HOME whose dagster.yaml points storage (runs,
event log, schedules) at a fresh database; a period run through the runner is recorded there,
with its materializations. The default (local SQLite under DAGSTER_HOME) is covered by every other
run test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from dagster import AssetKey, DagsterInstance, DagsterRunStatus

from assets.runner import run_periods
from pipelines.exit_codes import ExitCode
from tests.conftest import PG_ADMIN_URL, fresh_database
from tests.pipeline_runs import FIRST, generate_small

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture
def instance_database(postgres_url: str) -> Iterator[str]:
    """A fresh database for the Dagster instance alone, dropped afterwards (the server's other
    databases are left as found). `postgres_url` skips or fails as the suite does without a
    server."""
    admin = psycopg2.connect(PG_ADMIN_URL)
    try:
        with fresh_database("dagster_test", admin) as url:
            yield url
    finally:
        admin.close()


def test_runs_and_materializations_are_recorded_in_a_postgres_instance(
    isolated_env: Path, instance_database: str
):
    home = isolated_env / "dagster_home"
    # SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3; the installed driver is psycopg2.
    storage_url = instance_database.replace("postgresql://", "postgresql+psycopg2://", 1)
    (home / "dagster.yaml").write_text(
        f"storage:\n  postgres:\n    postgres_url: {storage_url}\n" "telemetry:\n  enabled: false\n"
    )
    generate_small(isolated_env / "landing", last=FIRST)

    outcome = run_periods(FIRST, FIRST)
    assert outcome.exit_code is ExitCode.PUBLISHED, outcome.problems

    instance = DagsterInstance.get()
    try:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        run = instance.get_run_by_id(outcome.run_id)
        assert run is not None and run.status is DagsterRunStatus.SUCCESS
        snapshot = instance.fetch_materializations(AssetKey(["scorecard", "snapshot"]), limit=10)
        assert [r.run_id for r in snapshot.records] == [outcome.run_id]
        assert snapshot.records[0].partition_key == "2025-01-01"
        orders = instance.fetch_materializations(AssetKey(["raw", "orders"]), limit=10)
        assert [r.run_id for r in orders.records] == [outcome.run_id]
    finally:
        instance.dispose()
    with psycopg2.connect(instance_database) as connection, connection.cursor() as cursor:
        cursor.execute("select count(*) from runs where run_id = %s", [outcome.run_id])
        assert cursor.fetchone() == (1,)
    connection.close()
