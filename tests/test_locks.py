"""Writer locks: one writer per DuckDB file, one run per period on PostgreSQL with the shared
phase queued, refused runs named, locks released by the OS when the holder is killed."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from assets.definitions import defs
from pipelines.settings import get_settings
from pipelines.warehouse.lock import (
    WAREHOUSE_POOL,
    WarehouseBusyError,
    hold_shared_phase,
    lock_path,
    writer_lock,
)

JANUARY = date(2025, 1, 1)
FEBRUARY = date(2025, 2, 1)
PROJECT = Path(__file__).resolve().parent.parent

# A second process that takes the writer lock for the months in argv, says so, optionally joins
# the shared phase and says so, then waits to be killed or for its stdin to close.
HOLDER = """
import sys
from datetime import date
from pipelines.settings import get_settings
from pipelines.warehouse.lock import hold_shared_phase, writer_lock
first, last = (date.fromisoformat(arg) for arg in sys.argv[1:3])
with writer_lock(get_settings(), sys.argv[3], first, last):
    print("locked", flush=True)
    if len(sys.argv) > 4:
        hold_shared_phase()
        print("shared", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def postgres_env(isolated_env: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SCORECARD_TARGET", "postgres")
    monkeypatch.setenv("SCORECARD_PG_URL", postgres_url)
    return postgres_url


@pytest.fixture
def holders() -> Iterator[list[subprocess.Popen]]:
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        process.kill()
        process.wait()


def start_holder(
    holders: list[subprocess.Popen], first: date, last: date, run_id: str, shared: bool = False
) -> subprocess.Popen:
    args = [sys.executable, "-c", HOLDER, str(first), str(last), run_id, *(["shared"] * shared)]
    process = subprocess.Popen(
        args, cwd=PROJECT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    holders.append(process)
    assert process.stdout.readline().strip() == "locked"
    return process


def run_cli(period: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--period", period],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def refusal(settings, run_id: str, first: date, last: date) -> str:
    """The message a run over first..last gets while the lock is held elsewhere."""
    with pytest.raises(WarehouseBusyError) as refused, writer_lock(settings, run_id, first, last):
        pytest.fail(f"{run_id} got the writer lock")
    return " ".join(str(refused.value).split())


def wait_for_lock(settings, run_id: str, first: date) -> None:
    """Take and release the lock, retrying for a few seconds (the server notices a dead client
    at once on a local socket, but not in the same instant)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            with writer_lock(settings, run_id, first, first):
                return
        except WarehouseBusyError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_duckdb_allows_one_writer_and_names_the_holder(isolated_env):
    settings = get_settings()
    with writer_lock(settings, "run-a", JANUARY, FEBRUARY):
        message = refusal(settings, "run-b", date(2025, 3, 1), date(2025, 3, 1))
        assert "run run-a (periods 2025-01..2025-02" in message
        assert f"pid {os.getpid()}" in message
        assert "run 2025-03 was not started" in message
    with writer_lock(settings, "run-b", JANUARY, JANUARY):
        assert "run-b" in lock_path(settings.warehouse).read_text()
    assert lock_path(settings.warehouse).read_text() == ""


def test_duckdb_refuses_a_run_while_another_process_holds_the_file(isolated_env):
    """A BI tool (or a killed run's dbt still finishing) holding the file: refused up front."""
    settings = get_settings()
    duckdb.connect(str(settings.warehouse)).close()
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('open', flush=True); "
            "sys.stdin.read()",
            str(settings.warehouse),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "open"
        message = refusal(settings, "run-a", JANUARY, JANUARY)
        assert "held open by another process" in message
        assert f"PID {reader.pid}" in message
    finally:
        reader.kill()
        reader.wait()
    with writer_lock(settings, "run-a", JANUARY, JANUARY):
        pass


def test_duckdb_lock_released_when_its_holder_is_killed(isolated_env, holders):
    settings = get_settings()
    holder = start_holder(holders, JANUARY, JANUARY, "killed-run")
    assert "killed-run" in refusal(settings, "run-b", JANUARY, JANUARY)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with (
        writer_lock(settings, "run-b", JANUARY, JANUARY),
        open(lock_path(settings.warehouse)) as other,
        pytest.raises(BlockingIOError),
    ):
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)


@pytest.mark.integration
def test_cli_run_is_refused_at_once_naming_the_running_run(isolated_env):
    """Exit 3 (pipeline error) with the holder's run id and periods; no Dagster run is made."""
    with writer_lock(get_settings(), "the-running-run", JANUARY, FEBRUARY):
        started = time.monotonic()
        result = run_cli("2025-02")
        elapsed = time.monotonic() - started
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 3, output
    assert "run the-running-run (periods 2025-01..2025-02" in output
    assert "run 2025-02 was not started" in output
    assert elapsed < 60  # refused at once: only the interpreter and imports start
    assert not (isolated_env / "dagster_home" / "storage").exists()


@pytest.mark.postgres
def test_postgres_refuses_the_same_period_and_names_the_holder(postgres_env, holders):
    settings = get_settings()
    start_holder(holders, JANUARY, FEBRUARY, "pg-run-a")
    message = refusal(settings, "pg-run-b", FEBRUARY, FEBRUARY)
    assert "period 2025-02 is being written by run pg-run-a (periods 2025-01..2025-02" in message
    assert "run 2025-02 was not started" in message
    with writer_lock(settings, "pg-run-c", date(2025, 3, 1), date(2025, 3, 1)):
        pass  # a different period proceeds


@pytest.mark.postgres
def test_postgres_queues_the_shared_phase(postgres_env, holders):
    """January holds the shared phase; February takes its period lock at once (landing runs in
    parallel) and waits for the shared phase until January's run ends."""
    with writer_lock(get_settings(), "pg-january", JANUARY, JANUARY):
        hold_shared_phase()
        february = start_holder(holders, FEBRUARY, FEBRUARY, "pg-february", shared=True)
        time.sleep(2)
        os.set_blocking(february.stdout.fileno(), False)
        assert february.stdout.readline() == "", "February entered the shared phase too early"
        os.set_blocking(february.stdout.fileno(), True)
    assert february.stdout.readline().strip() == "shared"


@pytest.mark.postgres
def test_postgres_locks_released_when_their_holder_is_killed(postgres_env, holders):
    settings = get_settings()
    holder = start_holder(holders, JANUARY, JANUARY, "pg-killed", shared=True)
    assert holder.stdout.readline().strip() == "shared"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    wait_for_lock(settings, "pg-next", JANUARY)
    with writer_lock(settings, "pg-next", JANUARY, JANUARY):
        hold_shared_phase()  # would wait forever if the killed run's session lock survived


@pytest.mark.postgres
@pytest.mark.integration
def test_postgres_cli_run_is_refused_for_a_period_being_written(postgres_env):
    with writer_lock(get_settings(), "pg-running", JANUARY, JANUARY):
        result = run_cli("2025-01")
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 3, output
    assert "period 2025-01 is being written by run pg-running (periods 2025-01" in output


def test_every_writing_step_is_in_the_warehouse_pool():
    for job_name in ("scorecard_job", "rescore_job"):
        job = defs.resolve_job_def(job_name)
        pools = {node.name: node.pool for node in job.graph.node_defs}
        assert pools and set(pools.values()) == {WAREHOUSE_POOL}, pools
