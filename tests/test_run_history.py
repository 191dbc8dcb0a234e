"""Dagster's run history through assets/run_history.py: a new DAGSTER_HOME uses it, runs and their
checks are recorded and read back by a new instance, its SQLite commits skip the disk flush only
in WAL mode, and it keeps a bounded number of engines."""

from __future__ import annotations

from pathlib import Path

import yaml
from dagster import (
    AssetCheckResult,
    DagsterEventType,
    DagsterInstance,
    asset,
    asset_check,
    materialize,
)
from sqlalchemy import text

from assets.run_history import KEPT_RUN_ENGINES, RunHistoryStorage
from assets.runner import EARLIER_DAGSTER_YAML, dagster_instance

FULL, NORMAL = 2, 1  # SQLite's `pragma synchronous` values


@asset
def numbers() -> list[int]:
    return [1, 2, 3]


@asset_check(asset=numbers)
def three_numbers() -> AssetCheckResult:
    return AssetCheckResult(passed=True)


def _run(instance: DagsterInstance) -> str:
    result = materialize([numbers], instance=instance, selection=[numbers])
    assert result.success
    return result.run_id


def test_a_new_home_records_runs_that_a_new_instance_reads(isolated_env: Path):
    instance = dagster_instance()
    try:
        assert isinstance(instance.event_log_storage, RunHistoryStorage)
        run_id = materialize([numbers, three_numbers], instance=instance).run_id
    finally:
        instance.dispose()

    again = DagsterInstance.get()
    try:
        checks = again.get_records_for_run(
            run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
        assert [r.event_log_entry.dagster_event.event_specific_data.passed for r in checks] == [
            True
        ]
        [record] = again.fetch_materializations(numbers.key, limit=5).records
        assert record.run_id == run_id
    finally:
        again.dispose()


def test_commits_skip_the_flush_in_wal_mode_only(isolated_env: Path):
    instance = dagster_instance()
    storage = instance.event_log_storage
    try:
        run_id = _run(instance)
        with storage.run_connection(run_id) as connection:
            assert connection.execute(text("pragma journal_mode")).scalar() == "wal"
            assert connection.execute(text("pragma synchronous")).scalar() == NORMAL
        with storage.index_connection() as connection:
            assert connection.execute(text("pragma synchronous")).scalar() == NORMAL
        with storage.run_connection(run_id) as connection:
            connection.execute(text("pragma journal_mode = delete"))
        storage.dispose()  # the next connection is a new one, in rollback-journal mode
        with storage.run_connection(run_id) as connection:
            assert connection.execute(text("pragma synchronous")).scalar() == FULL
    finally:
        instance.dispose()


def test_engines_kept_are_the_index_and_the_last_runs(isolated_env: Path):
    instance = dagster_instance()
    try:
        runs = [_run(instance) for _ in range(KEPT_RUN_ENGINES + 2)]
        kept = list(instance.event_log_storage._engines)
        assert len(kept) <= KEPT_RUN_ENGINES + 1
        assert "index" in kept and runs[-1] in kept and runs[0] not in kept
    finally:
        instance.dispose()


def test_a_dagster_yaml_an_earlier_version_wrote_gets_the_event_log_and_a_users_is_kept(
    isolated_env: Path,
):
    home = isolated_env / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text(EARLIER_DAGSTER_YAML)
    dagster_instance().dispose()
    written = yaml.safe_load((home / "dagster.yaml").read_text())
    assert written["telemetry"] == {"enabled": False}
    assert written["event_log_storage"]["class"] == "RunHistoryStorage"

    own = "telemetry:\n  enabled: true\n"
    (home / "dagster.yaml").write_text(own)
    instance = dagster_instance()
    try:
        assert not isinstance(instance.event_log_storage, RunHistoryStorage)
    finally:
        instance.dispose()
    assert (home / "dagster.yaml").read_text() == own


def test_a_wiped_history_records_new_runs_again(isolated_env: Path):
    instance = dagster_instance()
    try:
        _run(instance)
        instance.wipe()
        run_id = _run(instance)
        [record] = instance.fetch_materializations(numbers.key, limit=5).records
        assert record.run_id == run_id
        assert instance.get_records_for_run(run_id).records
    finally:
        instance.dispose()
