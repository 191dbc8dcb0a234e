"""The BI copy: what BI reads (marts, scorecard, quality; no raw PII), swapped in whole after
each publication, so a reader holding it open never blocks a run nor sees half a snapshot."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from assets.dbt_project import MANIFEST_PATH
from pipelines.exit_codes import ExitCode
from pipelines.failpoints import FAILPOINT_ENV
from pipelines.settings import get_settings
from pipelines.snapshot.bi_export import PERIOD_TABLES, period_files_folder, refresh_bi_copy
from pipelines.warehouse import connect
from tests.pii_scan import PLANTED, plant_pii, scan_duckdb
from tests.pipeline_runs import FIRST, SECOND, generate_small, run

PROJECT = Path(__file__).resolve().parent.parent

# A reader that has not seen the copy before (a new process: DuckDB shares one database per
# path within a process, so a new connection in this process would reuse the old file).
FRESH_READER = """
import duckdb, json, sys
with duckdb.connect(sys.argv[1], read_only=True) as bi:
    print(json.dumps({
        "snapshots": bi.sql("select count(*) from scorecard.snapshots").fetchone()[0],
        "current": bi.sql("select snapshot_id from scorecard.current_snapshots").fetchall(),
    }, default=str))
"""


def fresh_read(path: Path) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", FRESH_READER, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def bi_state(bi: duckdb.DuckDBPyConnection) -> dict[str, object]:
    return {
        "snapshots": bi.sql("select count(*) from scorecard.snapshots").fetchone()[0],
        "current": [
            list(row)
            for row in bi.sql("select snapshot_id from scorecard.current_snapshots").fetchall()
        ],
    }


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Iterator[Path]:
    """January run and published on a DuckDB warehouse, emails and phone numbers planted in
    odd places of its files; the folder."""
    folder = tmp_path_factory.mktemp("bi")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SCORECARD_TARGET", "duckdb")
        env.setenv("SCORECARD_WAREHOUSE", str(folder / "warehouse.duckdb"))
        env.setenv("SCORECARD_LANDING", str(folder / "landing"))
        env.setenv("DAGSTER_HOME", str(folder / "dagster_home"))
        env.delenv("SCORECARD_BI_COPY", raising=False)
        generate_small(folder / "landing", last=FIRST)
        plant_pii(folder / "landing")
        outcome = run(FIRST, FIRST)
        assert outcome.exit_code is ExitCode.PUBLISHED, outcome.problems
        yield folder


@pytest.mark.integration
def test_no_value_bi_can_read_in_the_copy_is_shaped_like_an_email_or_phone(published):
    """Every column of every table and view of the copy scanned. The planted values did reach
    the warehouse (raw, the quarantine's original rows), so the scan can find them."""
    settings = get_settings()
    assert scan_duckdb(settings.bi_copy_path) == {}
    in_warehouse = scan_duckdb(settings.warehouse)
    for table in {table for table, *_ in PLANTED}:
        assert any(name.startswith(f"raw.{table}.") for name in in_warehouse), table
    assert "quality.quarantine.original_row" in in_warehouse
    assert in_warehouse["raw.customers.email"] > 0


@pytest.mark.integration
def test_the_copy_holds_what_bi_reads_and_no_raw_pii(published):
    settings = get_settings()
    assert settings.bi_copy_path == published / "bi" / "scorecard_bi.duckdb"
    with (
        duckdb.connect(str(settings.bi_copy_path), read_only=True) as bi,
        duckdb.connect(str(settings.warehouse), read_only=True) as warehouse,
    ):
        schemas = {
            row[0] for row in bi.sql("select distinct schema_name from duckdb_tables()").fetchall()
        }
        assert schemas == {"main", "marts", "scorecard", "quality"}
        assert bi.sql(
            "select table_name from duckdb_tables() where schema_name = 'main'"
        ).fetchall() == [("period_files",)]
        tables = bi.sql(
            "select schema_name, table_name from duckdb_tables() where schema_name <> 'main'"
        ).fetchall()
        for schema, table in [*tables, *(name.split(".") for name in PERIOD_TABLES)]:
            name = f"{schema}.{table}"
            copied = bi.sql(f"select count(*) from {name}").fetchone()[0]
            assert copied == warehouse.sql(f"select count(*) from {name}").fetchone()[0], name
        assert ("marts", "fct_kpi_rollups") in tables  # a dbt view, held as rows
        # The period tables are views over one Parquet file per month, with the same rows.
        kpis = "select * from marts.fct_kpi order by all"
        assert bi.sql(kpis).fetchall() == warehouse.sql(kpis).fetchall()
        columns = {row[0] for row in bi.sql("describe quality.quarantine").fetchall()}
        assert "original_row" not in columns and "reason" in columns
        views = {
            row[0]
            for row in bi.sql("select view_name from duckdb_views() where not internal").fetchall()
        }
        assert views == {
            "current_snapshots",
            "current_kpi_scores",
            "current_entity_scores",
            "current_alerts",
            *(name.split(".")[1] for name in PERIOD_TABLES),
        }
        views -= {name.split(".")[1] for name in PERIOD_TABLES}
        for view in sorted(views):
            query = f"select * from scorecard.{view} order by all"
            assert bi.sql(query).fetchall() == warehouse.sql(query).fetchall(), view
        assert bi.sql("select count(*) from scorecard.current_kpi_scores").fetchone()[0] > 0


@pytest.mark.integration
def test_a_reader_of_the_copy_neither_blocks_a_run_nor_sees_it_half_done(published):
    settings = get_settings()
    copy = settings.bi_copy_path
    with duckdb.connect(str(copy), read_only=True) as reader:
        old = bi_state(reader)
        # A re-score killed after publishing, before the swap: the copy stays whole and old.
        killed = subprocess.run(
            [
                sys.executable,
                "-m",
                "pipelines.cli",
                "rescore",
                "--from",
                "2025-01",
                "--to",
                "2025-01",
            ],
            cwd=PROJECT,
            env={**os.environ, FAILPOINT_ENV: "bi_export.before_swap"},
            capture_output=True,
        )
        assert killed.returncode == -signal.SIGKILL
        assert list(copy.parent.glob("*.tmp")), "the killed export left no scratch file to clean"
        assert fresh_read(copy) == old

        outcome = run(FIRST, FIRST)  # a full run while the reader holds the copy open
        assert outcome.exit_code is ExitCode.PUBLISHED, outcome.problems
        assert bi_state(reader) == old
        # The replaced copy's month files stay while it may still be read.
        assert reader.sql("select count(*) from marts.fct_attribution").fetchone()[0] > 0
    with connect(settings) as warehouse:
        published_snapshots = warehouse.scalar("select count(*) from scorecard.snapshots")
        current = warehouse.query("select snapshot_id from scorecard.current_snapshots")
    new = fresh_read(copy)
    assert new["snapshots"] == published_snapshots == old["snapshots"] + 2
    assert new["current"] == [[snapshot] for snapshot in current["snapshot_id"]]
    assert new["current"] != old["current"]
    assert sorted(path.name for path in copy.parent.iterdir()) == sorted(
        [copy.name, period_files_folder(copy).name]
    )


def test_no_copy_on_postgres(isolated_env, monkeypatch):
    """On PostgreSQL BI reads the server (read-only role): there is nothing to copy."""
    monkeypatch.setenv("SCORECARD_TARGET", "postgres")
    settings = get_settings()
    assert refresh_bi_copy(None, settings) is None  # type: ignore[arg-type]
    assert not settings.bi_copy_path.parent.exists()


def test_a_copy_named_like_a_schema_is_refused(isolated_env, monkeypatch):
    monkeypatch.setenv("SCORECARD_BI_COPY", str(isolated_env / "scorecard.duckdb"))
    settings = get_settings()
    with (
        connect(settings) as warehouse,
        pytest.raises(ValueError, match="must not be a schema name"),
    ):
        refresh_bi_copy(warehouse, settings)


def test_the_period_tables_are_the_marts_rebuilt_by_month():
    manifest = json.loads(MANIFEST_PATH.read_text())
    tagged = {
        f"{node['config']['schema']}.{node['name']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and "period" in node["config"]["tags"]
    }
    assert set(PERIOD_TABLES) == tagged


def _rows(database: Path, sql: str, params: list[object]) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql, params).fetchall()


def _period_files(copy: Path) -> dict[str, str]:
    """The copy's fct_attribution file by month (YYYY-MM)."""
    rows = _rows(
        copy,
        "select period, file from main.period_files where relation = 'marts.fct_attribution'",
        [],
    )
    return {f"{period:%Y-%m}": file for period, file in rows}


@pytest.mark.integration
def test_an_export_replaces_only_the_months_with_a_new_snapshot(published):
    """The cost of an export follows the run's months: a month without a new snapshot keeps the
    file the copy had (the same file, untouched), the run's month equals the warehouse, a new
    snapshot of January writes January again, and files no copy names any more are deleted."""
    settings = get_settings()
    copy, warehouse = settings.bi_copy_path, settings.warehouse
    january = _period_files(copy)["2025-01"]
    written_at = Path(january).stat().st_mtime_ns
    credits = "select * from marts.fct_attribution where period = ? order by all"
    generate_small(published / "landing", last=SECOND)

    outcome = run(SECOND, SECOND)
    assert outcome.exit_code is ExitCode.PUBLISHED, outcome.problems
    after_february = _period_files(copy)
    assert after_february["2025-01"] == january
    assert Path(january).stat().st_mtime_ns == written_at
    assert _rows(copy, credits, [SECOND]) == _rows(warehouse, credits, [SECOND])
    count = "select count(*) from marts.fct_kpi"
    assert _rows(copy, count, []) == _rows(warehouse, count, [])

    assert run(FIRST, FIRST).exit_code is ExitCode.PUBLISHED
    after_january = _period_files(copy)
    assert after_january["2025-01"] != january
    assert after_january["2025-02"] == after_february["2025-02"]
    assert _rows(copy, credits, [FIRST]) == _rows(warehouse, credits, [FIRST])
    assert Path(january).exists()  # the replaced copy names it: a reader may still have it open
    named_before = _named_files(copy)
    assert run(SECOND, SECOND).exit_code is ExitCode.PUBLISHED
    assert not Path(january).exists()  # named by no copy any more
    on_disk = {str(path) for path in period_files_folder(copy).glob("*/*.parquet")}
    assert on_disk == _named_files(copy) | named_before


def _named_files(copy: Path) -> set[str]:
    return {file for (file,) in _rows(copy, "select file from main.period_files", [])}
