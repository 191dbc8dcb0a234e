"""held_open: a run holds one idle DuckDB connection, so the connections its steps open and close
do not each write a checkpoint; the file is checkpointed once the run lets go, and what was
committed meanwhile is read back whole."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from pipelines.settings import Settings, Target
from pipelines.warehouse.connection import connect, held_open

HOLD_OPEN = (
    "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('holding', flush=True); "
    "time.sleep(60)"
)


def _settings(path: Path) -> Settings:
    return Settings(target=Target.DUCKDB, warehouse=path)


def _write_and_close(settings: Settings, table: str) -> None:
    with connect(settings) as wh:
        wh.execute(f"create table {table} as select range as i from range(100000)")


def test_steps_closing_a_held_warehouse_leave_the_checkpoint_to_the_end(tmp_path: Path):
    settings = _settings(tmp_path / "warehouse.duckdb")
    wal = tmp_path / "warehouse.duckdb.wal"
    _write_and_close(settings, "before")
    assert not wal.exists()  # a last connection closing checkpoints the file

    with held_open(settings):
        _write_and_close(settings, "first_step")
        _write_and_close(settings, "second_step")
        assert wal.exists()  # committed, in the WAL; no checkpoint yet
    assert not wal.exists()

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as reader:
        counts = [
            reader.sql(f"select count(*) from {t}").fetchone()[0]
            for t in ("first_step", "second_step")
        ]
    assert counts == [100000, 100000]


def test_a_warehouse_another_process_holds_is_left_to_the_run(tmp_path: Path):
    path = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with held_open(_settings(path)):  # no error here: the run's first step says why
            pass
    finally:
        holder.kill()
        holder.wait()


def test_a_warehouse_folder_that_cannot_be_made_is_left_to_the_run(tmp_path: Path):
    (tmp_path / "not_a_folder").write_text("a file where the warehouse's folder should be")
    with held_open(_settings(tmp_path / "not_a_folder" / "warehouse.duckdb")):
        pass  # no error here: the run's first step says why
