"""The writer lock a run holds for its whole duration, so two writers never collide.

DuckDB allows one writer per file: a run takes an exclusive `flock` on `<warehouse>.lock` beside
the file, and any second writer is refused at once with the holder's run id and periods (read
from the lock file). PostgreSQL takes many writers, but runs share the unpartitioned dbt models
(staging, intermediate, dims) that every run rebuilds for its own months: a run takes one
session advisory lock per period (a second run of the same period is refused at once, naming
the holder from its connection's application_name), and the steps from the first dbt build to
publication wait for one shared-phase advisory lock (queued), so runs of different periods land
their files in parallel and take turns for the rest.

Both kinds of lock belong to the process or its connection: the OS releases a flock, and
PostgreSQL a session lock, when the run dies, even by SIGKILL."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import psycopg2

from pipelines.periods import month_label, months_between
from pipelines.settings import Settings, Target
from pipelines.warehouse.connection import WarehouseError

# The Dagster concurrency pool of every asset that writes to the warehouse.
WAREHOUSE_POOL = "scorecard_warehouse"

# Advisory lock keys (two int4): this namespace, then yyyymm per period or 0 for the shared phase.
ADVISORY_NAMESPACE = 0x5C02
SHARED_PHASE_KEY = 0

# The PostgreSQL lock connection of the run executing in this process (runs execute in process),
# so that its steps can join the shared phase.
_run_connection: psycopg2.extensions.connection | None = None


class WarehouseBusyError(WarehouseError):
    """Another run holds the writer lock this run needs: nothing was started."""


def periods_label(first: date, last: date) -> str:
    return month_label(first) if first == last else f"{month_label(first)}..{month_label(last)}"


@contextmanager
def writer_lock(settings: Settings, run_id: str, first: date, last: date) -> Iterator[None]:
    """Hold the warehouse's writer lock for run `run_id` over first..last, or raise
    WarehouseBusyError naming the run that holds it."""
    if settings.target is Target.POSTGRES:
        with _postgres_period_locks(settings.pg_url, run_id, first, last):
            yield
    else:
        with _duckdb_file_lock(settings.warehouse, run_id, first, last):
            yield


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


@contextmanager
def _duckdb_file_lock(warehouse: Path, run_id: str, first: date, last: date) -> Iterator[None]:
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Never deleted: removing a lock file while another process waits on it would split the lock.
    with open(path, "a+") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.seek(0)
            raise WarehouseBusyError(
                f"the DuckDB warehouse {warehouse} is being written by "
                f"{_describe_holder(lock_file.read())}; DuckDB allows one writer per file, so "
                f"run {periods_label(first, last)} was not started. Run it again when that "
                "run has finished."
            ) from None
        _refuse_stray_holder(warehouse, first, last)
        holder = {
            "run_id": run_id,
            "periods": periods_label(first, last),
            "pid": os.getpid(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(json.dumps(holder))
        lock_file.flush()
        try:
            yield
        finally:
            lock_file.truncate(0)  # the lock itself goes with the file descriptor


def _refuse_stray_holder(warehouse: Path, first: date, last: date) -> None:
    """A process outside the lock that holds the file (a BI tool, or the dbt subprocess of a
    killed run, still finishing its build) would fail the run half way: refuse it now, naming
    that process. Opening the file also replays a killed run's write-ahead log."""
    if not warehouse.exists():
        return
    try:
        duckdb.connect(str(warehouse)).close()
    except duckdb.IOException as error:
        raise WarehouseBusyError(
            f"the DuckDB warehouse {warehouse} is held open by another process, so run "
            f"{periods_label(first, last)} was not started: {str(error).splitlines()[0]}"
        ) from None


def _describe_holder(recorded: str) -> str:
    try:
        holder = json.loads(recorded)
    except json.JSONDecodeError:
        return "another run (it has not recorded its run id yet)"
    return (
        f"run {holder['run_id']} (periods {holder['periods']}, pid {holder['pid']}, "
        f"started {holder['started_at']})"
    )


@contextmanager
def _postgres_period_locks(url: str, run_id: str, first: date, last: date) -> Iterator[None]:
    global _run_connection
    label = periods_label(first, last)
    try:
        # application_name (at most 63 characters) is how a refused run names this one.
        connection = psycopg2.connect(url, application_name=f"scorecard {run_id} {label}"[:63])
    except psycopg2.OperationalError as error:
        raise WarehouseError(f"cannot connect to PostgreSQL for the writer lock: {error}") from None
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for period in months_between(first, last):
                key = period.year * 100 + period.month
                cursor.execute("select pg_try_advisory_lock(%s, %s)", (ADVISORY_NAMESPACE, key))
                if not cursor.fetchone()[0]:
                    raise WarehouseBusyError(
                        f"period {month_label(period)} is being written by "
                        f"{_postgres_holder(cursor, key)}; run {label} was not started. Run it "
                        "again when that run has finished."
                    )
        _run_connection = connection
        yield
    finally:
        _run_connection = None
        connection.close()  # releases every session advisory lock it holds


def _postgres_holder(cursor: psycopg2.extensions.cursor, key: int) -> str:
    cursor.execute(
        """
        select activity.application_name, activity.pid, activity.backend_start
        from pg_locks as locks
        inner join pg_stat_activity as activity on activity.pid = locks.pid
        where locks.locktype = 'advisory' and locks.granted
            and locks.database = (select oid from pg_database where datname = current_database())
            and locks.classid = %s and locks.objid = %s and locks.objsubid = 2
        """,
        (ADVISORY_NAMESPACE, key),
    )
    row = cursor.fetchone()
    if row is None:
        return "another run (it has just finished)"
    application_name, pid, started = row
    run_id, _, periods = application_name.removeprefix("scorecard ").partition(" ")
    return f"run {run_id} (periods {periods}, backend pid {pid}, connected {started:%H:%M:%S})"


def hold_shared_phase() -> None:
    """Wait (queued behind other runs) for the shared phase and hold it until the run ends.

    Called by the first step that rebuilds the shared dbt models. On DuckDB the whole run is
    exclusive already; outside `writer_lock` (a run launched by the Dagster daemon) the
    warehouse concurrency pool is what serializes writers."""
    if _run_connection is None:
        return
    with _run_connection.cursor() as cursor:
        cursor.execute("select pg_advisory_lock(%s, %s)", (ADVISORY_NAMESPACE, SHARED_PHASE_KEY))
