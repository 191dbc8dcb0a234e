"""PostgreSQL as the warehouse BI shares: the layout changes once per code version (never per run),
a BI transaction held open blocks neither a run nor new BI queries, and the read-only BI role
reads marts and scorecard but nothing in raw or staging. Real server, real second connections."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from pipelines.cli import main
from pipelines.exit_codes import ExitCode
from pipelines.settings import get_settings
from pipelines.warehouse import WarehouseError, connect
from pipelines.warehouse.schema import MIGRATION_LOCK_TIMEOUT, layout_hash, migrate
from tests.conftest import PG_ADMIN_URL, fresh_database
from tests.pii_scan import PLANTED, plant_pii, scan_postgres
from tests.pipeline_runs import FIRST, SECOND, generate_small, run

pytestmark = pytest.mark.integration

# What a BI dashboard reads: every relation of marts and scorecard it may hold open.
BI_READS = (
    "marts.fct_kpi",
    "marts.fct_kpi_rollups",
    "marts.fct_attribution",
    "marts.dim_channel",
    "marts.dim_rep",
    "scorecard.snapshots",
    "scorecard.current_kpi_scores",
    "scorecard.current_entity_scores",
    "scorecard.entity_scores",
)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A PostgreSQL warehouse of its own with January published (emails and phone numbers
    planted in odd places of its files), and a BI login role that is a member of the group role
    `scorecard grant-bi` created; roles dropped afterwards."""
    folder: Path = tmp_path_factory.mktemp("served")
    suffix = uuid.uuid4().hex[:8]
    group, login = f"scorecard_bi_{suffix}", f"bi_user_{suffix}"
    admin = psycopg2.connect(PG_ADMIN_URL, connect_timeout=3)
    admin.autocommit = True
    try:
        with fresh_database("scorecard_serving", admin) as url, pytest.MonkeyPatch.context() as env:
            env.setenv("SCORECARD_TARGET", "postgres")
            env.setenv("SCORECARD_PG_URL", url)
            env.setenv("SCORECARD_LANDING", str(folder / "landing"))
            env.setenv("DAGSTER_HOME", str(folder / "dagster_home"))
            env.setenv("SCORECARD_HOME", "")
            # A run that waits for a lock BI holds fails the test instead of hanging it.
            env.setenv("PGOPTIONS", "-c lock_timeout=60s")
            generate_small(folder / "landing", last=SECOND)
            plant_pii(folder / "landing")
            assert run(FIRST, FIRST).exit_code is ExitCode.PUBLISHED
            assert main(["grant-bi", "--role", group]) == ExitCode.PUBLISHED
            with admin.cursor() as cursor:
                cursor.execute(f"create role {login} login in role {group}")
            try:
                yield {"url": url, "bi_url": url.replace("postgres@", f"{login}@"), "group": group}
            finally:
                with psycopg2.connect(url) as owner, owner.cursor() as cursor:
                    cursor.execute(f"drop owned by {group}")
                owner.close()
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"drop role if exists {login}")
            cursor.execute(f"drop role if exists {group}")
        admin.close()


def bi_connection(served: dict[str, str]) -> psycopg2.extensions.connection:
    connection = psycopg2.connect(served["bi_url"], connect_timeout=3)
    with connection.cursor() as cursor:
        cursor.execute("set statement_timeout = '10s'")
    connection.commit()
    return connection


def test_bi_role_reads_marts_and_scorecard_not_raw_or_staging(served):
    bi = bi_connection(served)
    bi.autocommit = True
    try:
        with bi.cursor() as cursor:
            for relation in BI_READS:
                cursor.execute(f"select count(*) from {relation}")
            cursor.execute("select reason, source_row from quality.quarantine")
            for denied in (
                "select email from raw.customers",
                "select * from staging.stg_commerce__customers",
                "select * from intermediate.int_orders_valued",
                "select original_row from quality.quarantine",
            ):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cursor.execute(denied)
    finally:
        bi.close()


def test_no_value_the_bi_role_can_read_is_shaped_like_an_email_or_phone(served):
    """Every column the BI login may select, found through the catalogue, scanned; the owner
    sees the planted values in raw and in the quarantine's original rows, so the scan can find
    them."""
    readable, found = scan_postgres(served["bi_url"])
    assert readable > 100 and found == {}
    _, as_owner = scan_postgres(served["url"])
    for table in {table for table, *_ in PLANTED}:
        assert any(name.startswith(f"raw.{table}.") for name in as_owner), table
    assert "quality.quarantine.original_row" in as_owner
    assert as_owner["raw.customers.email"] > 0


def test_grant_bi_on_duckdb_is_refused_with_the_reason(isolated_env, capsys):
    assert main(["grant-bi"]) == ExitCode.BAD_INPUT
    assert "PostgreSQL" in capsys.readouterr().out


def test_a_bi_transaction_open_for_a_whole_run_blocks_neither_the_run_nor_new_queries(served):
    """The BI transaction holds a share lock on everything a dashboard reads for the whole run
    and keeps seeing the snapshots as they were; new BI queries keep answering meanwhile."""
    bi = bi_connection(served)
    bi.set_session(isolation_level="REPEATABLE READ")
    with bi.cursor() as cursor:
        for relation in BI_READS:
            cursor.execute(f"select count(*) from {relation}")
        cursor.execute("select count(*) from scorecard.snapshots")
        snapshots_seen = cursor.fetchone()[0]
    answered: list[float] = []
    failures: list[Exception] = []
    done = threading.Event()

    def query_while_running() -> None:
        other = bi_connection(served)
        other.autocommit = True
        try:
            while not done.is_set():
                started = time.monotonic()
                with other.cursor() as cursor:
                    cursor.execute("select count(*) from scorecard.current_kpi_scores")
                    cursor.execute("select count(*) from marts.dim_channel")
                answered.append(time.monotonic() - started)
                time.sleep(0.5)
        except Exception as error:  # reported by the test
            failures.append(error)
        finally:
            other.close()

    reader = threading.Thread(target=query_while_running)
    reader.start()
    try:
        outcome = run(SECOND, SECOND)
    finally:
        done.set()
        reader.join()
    try:
        assert outcome.exit_code is ExitCode.PUBLISHED, outcome.problems
        assert not failures, failures
        assert answered and max(answered) < 5, answered
        with bi.cursor() as cursor:  # still the transaction's own view of the data
            cursor.execute("select count(*) from scorecard.snapshots")
            assert cursor.fetchone()[0] == snapshots_seen
        bi.rollback()
        with bi.cursor() as cursor:
            cursor.execute("select count(*) from scorecard.snapshots")
            assert cursor.fetchone()[0] > snapshots_seen
    finally:
        bi.close()


def test_the_layout_is_applied_once_per_version(served):
    with connect(get_settings()) as warehouse:
        assert migrate(warehouse) is False
        assert (
            warehouse.scalar(
                "select count(*) from quality.layout_versions where layout_hash = ?",
                [layout_hash()],
            )
            == 1
        )


def test_new_code_waits_briefly_for_a_reader_then_names_the_way_out(served):
    """A layout change (new code) cannot take its lock while BI holds a table open: it gives up
    after MIGRATION_LOCK_TIMEOUT with a message, instead of queueing every BI query behind it."""
    bi = bi_connection(served)
    with bi.cursor() as cursor:
        cursor.execute("select count(*) from scorecard.entity_scores")
    with connect(get_settings()) as warehouse:
        warehouse.execute("update quality.layout_versions set layout_hash = 'older-code'")
        try:
            started = time.monotonic()
            with pytest.raises(WarehouseError, match="scorecard migrate"):
                migrate(warehouse)
            assert time.monotonic() - started < 3 * float(MIGRATION_LOCK_TIMEOUT.rstrip("s"))
        finally:
            bi.close()
        assert migrate(warehouse) is True  # the reader gone, the same call goes through
    assert main(["migrate"]) == ExitCode.PUBLISHED
