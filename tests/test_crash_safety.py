"""Crash safety: `scorecard run` killed by SIGKILL during landing, dbt, scoring and publication.

One warehouse: January is published by an uninterrupted run, then a re-run of January is killed
at each failpoint in turn (pipelines/failpoints.py), then January runs once more to the end.
After every kill: no partial snapshot, the current views as before, the writer lock free, and
DuckDB opens the file (replaying its write-ahead log). The last run's facts and scores equal the
uninterrupted run's, whatever the kills left behind (landed batches, half-built marts)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.failpoints import FAILPOINT_ENV
from pipelines.warehouse.lock import lock_path
from tests.pipeline_runs import FIRST, generate_small

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).resolve().parent.parent
PERIOD = "2025-01"
# In run order: mid-landing (a table landed, others not), inside the marts' dbt build, after
# scoring, inside the publication transaction after every insert.
FAILPOINTS = [
    "landing.after_batch",
    "dbt.period_models",
    "publish.scoring",
    "publish.before_commit",
]
FACTS = {
    "fct_kpi": "select * from marts.fct_kpi where period = ? "
    "order by entity_type, entity_id, kpi",
    "fct_attribution": "select * from marts.fct_attribution where period = ? "
    "order by conversion_type, conversion_id, model, touch_position, touchpoint_id",
    "fct_channel_performance": "select * from marts.fct_channel_performance where period = ? "
    "order by channel, campaign_id nulls first, model",
}
SCORE_COLUMNS = "entity_type, entity_id, kpi, value, target, achievement, score, effective_weight"


def run_cli(env: dict[str, str], failpoint: str | None = None) -> int:
    """`scorecard run --period 2025-01` in its own session; returns its exit status once every
    process of the session (a dbt subprocess outlives a killed run) has gone."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--period", PERIOD],
        cwd=PROJECT,
        env={**env, FAILPOINT_ENV: failpoint or ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    exit_status = process.wait(timeout=900)
    wait_for_session_to_end(session=process.pid)
    return exit_status


def wait_for_session_to_end(session: int) -> None:
    deadline = time.monotonic() + 600
    while _session_members(session):
        assert time.monotonic() < deadline, "a killed run's subprocess did not finish"
        time.sleep(1)


def _session_members(session: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # after the command: state, ppid, pgrp, session
            members.append(int(stat.parent.name))
    return members


def warehouse_state(path: Path) -> dict[str, object]:
    """What a BI reader and the next run would find; opening the file replays its WAL."""
    with duckdb.connect(str(path), read_only=True) as connection:

        def frame(sql: str) -> pd.DataFrame:
            return connection.execute(sql, [FIRST] if "?" in sql else []).df()

        return {
            "snapshots": set(frame("select snapshot_id from scorecard.snapshots")["snapshot_id"]),
            "current": frame(
                f"select snapshot_id, {SCORE_COLUMNS} from scorecard.current_kpi_scores "
                f"where period = ? order by entity_type, entity_id, kpi"
            ),
            "stray_rows": int(
                frame(
                    """
                    select count(*) from (
                        select snapshot_id from scorecard.kpi_scores
                        union all select snapshot_id from scorecard.entity_scores
                        union all select snapshot_id from scorecard.alerts
                    ) as scored
                    where snapshot_id not in (select snapshot_id from scorecard.snapshots)
                    """
                ).iat[0, 0]
            ),
            "raw_batches": int(
                frame("select count(distinct _batch_id) from raw.ad_spend").iat[0, 0]
                + frame("select count(distinct _batch_id) from raw.touchpoints").iat[0, 0]
                + frame("select count(distinct batch_id) from quality.quarantine").iat[0, 0]
            ),
            "facts": {name: frame(sql) for name, sql in FACTS.items()},
        }


def lock_is_free(warehouse: Path) -> bool:
    with open(lock_path(warehouse)) as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(lock_file, fcntl.LOCK_UN)
        return True


@pytest.fixture(scope="module")
def crashes(tmp_path_factory) -> Iterator[dict[str, object]]:
    folder = tmp_path_factory.mktemp("crash")
    warehouse = folder / "warehouse.duckdb"
    env = {
        **os.environ,
        "SCORECARD_TARGET": "duckdb",
        "SCORECARD_WAREHOUSE": str(warehouse),
        "SCORECARD_LANDING": str(folder / "landing"),
        "DAGSTER_HOME": str(folder / "dagster_home"),
    }
    generate_small(folder / "landing", last=FIRST)
    results: dict[str, object] = {"baseline_exit": run_cli(env)}
    results["baseline"] = warehouse_state(warehouse)
    for point in FAILPOINTS:
        before = warehouse_state(warehouse)
        exit_status = run_cli(env, point)
        results[point] = {
            "exit": exit_status,
            "lock_free": lock_is_free(warehouse),
            "wal_left": warehouse.with_name(warehouse.name + ".wal").exists(),
            "before": before,
            "after": warehouse_state(warehouse),
        }
    results["rerun_exit"] = run_cli(env)
    results["rerun"] = warehouse_state(warehouse)
    yield results


@pytest.mark.parametrize("point", FAILPOINTS)
def test_a_killed_run_leaves_no_partial_snapshot(crashes, point):
    baseline, crash = crashes["baseline"], crashes[point]
    assert crashes["baseline_exit"] == 0
    assert crash["exit"] == -9, f"the run was not killed at {point}"
    assert crash["lock_free"], "the writer lock outlived the killed run"
    after = crash["after"]
    assert after["snapshots"] == baseline["snapshots"]
    assert after["stray_rows"] == 0
    pd.testing.assert_frame_equal(after["current"], baseline["current"])


def test_duckdb_replays_what_the_killed_landing_committed(crashes):
    """The batch landed before the kill was committed to the WAL only; reopening replays it."""
    crash = crashes["landing.after_batch"]
    assert crash["wal_left"]
    assert crash["after"]["raw_batches"] > crash["before"]["raw_batches"]


def test_rerun_after_the_kills_gives_the_uninterrupted_facts_and_scores(crashes):
    baseline, rerun = crashes["baseline"], crashes["rerun"]
    assert crashes["rerun_exit"] == 0
    assert len(rerun["snapshots"] - baseline["snapshots"]) == 1
    for name, facts in baseline["facts"].items():
        assert len(facts) > 0, name
        pd.testing.assert_frame_equal(rerun["facts"][name], facts, obj=name)
    new, old = rerun["current"], baseline["current"]
    assert (new["snapshot_id"] != old["snapshot_id"]).all()
    pd.testing.assert_frame_equal(new.drop(columns="snapshot_id"), old.drop(columns="snapshot_id"))
