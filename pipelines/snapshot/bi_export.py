"""The BI copy: a separate DuckDB file with what BI reads, swapped in whole after a publication.

A BI tool holding the warehouse file open would block the next run (DuckDB: one writer, and a
reader holds the file). BI reads this copy instead: it is written to a temporary file beside it
and moved over the old one with os.replace (atomic), so a reader that has the old copy open
keeps its consistent old state and never blocks the pipeline, and a new connection sees the
new snapshot whole. On PostgreSQL BI reads the server directly: there is no copy.

The cost of an export follows the run's months, not the history. The marts rebuilt by month
(`PERIOD_TABLES`, by far the largest) are kept as one Parquet file per table and month in a
folder beside the copy (`<copy>_periods/`), written once and never changed: a month gets a new
file only when it has a snapshot the copy lacks (or its table's columns changed), and in the copy
each such table is a view over its months' files. Every other relation (small: dims, scores,
checks) is copied whole into a new file, set-based (the warehouse ATTACHes it and fills it with
CREATE TABLE AS SELECT). Which file holds which month is the copy's own table
`main.period_files`, so the files a copy names change with it, atomically. Files that neither the
new copy nor the one it replaced names are deleted after the swap: a reader that still has the
replaced copy open keeps reading its months."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from pipelines.failpoints import failpoint
from pipelines.settings import Settings, Target
from pipelines.warehouse import Warehouse
from pipelines.warehouse.connection import checked_identifier, sql_string
from pipelines.warehouse.schema import SCHEMAS, SCORECARD_DDL

# What BI reads. raw and staging stay behind: raw PII must not leave the warehouse.
EXPORTED_SCHEMAS = ("marts", "scorecard", "quality")
# A quarantined row's original values are raw input, possibly PII: they stay behind too.
WITHHELD_COLUMNS = {"quality.quarantine": ("original_row",)}
# The pipeline's own views (scorecard.current_*) name no database: the copy gets them as views,
# from the same DDL, in dependency order. dbt's views name the warehouse's database, so the copy
# holds their rows as tables.
PIPELINE_VIEWS = [ddl for ddl in SCORECARD_DDL if ddl.lstrip().startswith("create or replace view")]
COPY_ALIAS = "bi_copy"
PREVIOUS_ALIAS = "bi_previous"
# The copy's own list of its period tables' files (schema main: not a schema BI reads for data).
PERIOD_FILES = "period_files"
# The marts rebuilt by month (dbt tag `period`: a run deletes and inserts its months), by far the
# largest; tests/test_bi_export.py checks this list against the dbt project.
PERIOD_TABLES = (
    "marts.fct_attribution",
    "marts.fct_attribution_model_weights",
    "marts.fct_channel_performance",
    "marts.fct_kpi",
)


def refresh_bi_copy(warehouse: Warehouse, settings: Settings) -> Path | None:
    """Replace the BI copy with the warehouse's current BI-facing schemas; None on PostgreSQL."""
    if settings.target is not Target.DUCKDB:
        return None
    target = settings.bi_copy_path
    # DuckDB names a file's database after the name up to its first dot; the views say
    # `scorecard.snapshots`, which a database of a schema's name would make ambiguous.
    stem = target.name.split(".")[0]
    if stem in SCHEMAS:
        raise ValueError(
            f"SCORECARD_BI_COPY {target}: the file name must not be a schema name "
            f"({', '.join(SCHEMAS)}); e.g. scorecard_bi.duckdb"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    # A run killed mid-export leaves its scratch file; runs write one at a time (writer lock).
    for stale in target.parent.glob(f"{stem}_*.tmp*"):
        stale.unlink()
    scratch = target.with_name(f"{stem}_{uuid.uuid4().hex[:8]}.tmp")
    folder = period_files_folder(target)
    previous = _previous_copy(warehouse, target)
    try:
        files = _copy_tables(warehouse, scratch, folder, previous)
        with duckdb.connect(str(scratch)) as copy:
            for view_ddl in PIPELINE_VIEWS:
                copy.execute(view_ddl)
        failpoint("bi_export.before_swap")
        os.replace(scratch, target)
    finally:
        scratch.unlink(missing_ok=True)
        scratch.with_name(scratch.name + ".wal").unlink(missing_ok=True)
    _delete_unnamed_files(folder, {*files.values(), *previous.files.values()})
    return target


def period_files_folder(copy: Path) -> Path:
    """Where the period tables' Parquet files of the BI copy `copy` live."""
    return copy.with_name(f"{copy.name.split('.')[0]}_periods")


@dataclass
class _PreviousCopy:
    """What the copy being replaced holds: its period files by (table, month) with the columns
    they were written with, and its snapshots. Empty when there is none to build on."""

    files: dict[tuple[str, date], str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    snapshots: set[str] = field(default_factory=set)


def _previous_copy(warehouse: Warehouse, target: Path) -> _PreviousCopy:
    """The current copy's period files and snapshots. A copy that cannot be read (another
    process writing it) or that has no file list (made by an earlier version) gives nothing to
    build on: every month is written again."""
    if not target.exists():
        return _PreviousCopy()
    try:
        warehouse.execute(f"attach {sql_string(str(target))} as {PREVIOUS_ALIAS} (read_only)")
    except duckdb.Error:
        return _PreviousCopy()
    try:
        names = {
            f"{row.schema_name}.{row.table_name}"
            for row in warehouse.rows(
                "select schema_name, table_name from duckdb_tables() where database_name = ?",
                [PREVIOUS_ALIAS],
            )
        }
        if not {f"main.{PERIOD_FILES}", "scorecard.snapshots"} <= names:
            return _PreviousCopy()
        previous = _PreviousCopy()
        for row in warehouse.rows(
            f"select relation, period, file, columns from {PREVIOUS_ALIAS}.main.{PERIOD_FILES}"
        ):
            previous.files[(row.relation, row.period)] = row.file
            previous.columns[row.relation] = row.columns
        previous.snapshots = {
            row.snapshot_id
            for row in warehouse.rows(
                f"select snapshot_id from {PREVIOUS_ALIAS}.scorecard.snapshots"
            )
        }
        return previous
    finally:
        warehouse.execute(f"detach {PREVIOUS_ALIAS}")


def _copy_tables(
    warehouse: Warehouse, scratch: Path, folder: Path, previous: _PreviousCopy
) -> dict[tuple[str, date], str]:
    """Fill `scratch` (a new file) with the warehouse's exported state in one transaction (one
    consistent state): period tables as views over their months' files (written for the months
    that changed), the rest whole. The files the copy names, by (table, month)."""
    relations = warehouse.query(
        """
        select schema_name, table_name as name
        from duckdb_tables()
        where database_name = current_database() and not internal and schema_name in ?
        union all
        select schema_name, view_name
        from duckdb_views()
        where database_name = current_database() and not internal and schema_name in ?
            and schema_name <> 'scorecard'
        order by schema_name, name
        """,
        [list(EXPORTED_SCHEMAS), list(EXPORTED_SCHEMAS)],
    )
    exported = {f"{row.schema_name}.{row.name}" for row in relations.itertuples()}
    warehouse.execute(f"attach {sql_string(str(scratch))} as {COPY_ALIAS}")
    files: dict[tuple[str, date], str] = {}
    try:
        with warehouse.transaction():
            changed = _periods_with_new_snapshots(warehouse, previous)
            for schema in EXPORTED_SCHEMAS:
                warehouse.execute(
                    f"create schema if not exists {COPY_ALIAS}.{checked_identifier(schema)}"
                )
            warehouse.execute(
                f"create table {COPY_ALIAS}.main.{PERIOD_FILES} "
                "(relation varchar, period date, file varchar, columns varchar)"
            )
            for name in sorted(exported):
                if name in PERIOD_TABLES:
                    files |= _export_period_table(warehouse, name, folder, previous, changed)
                    continue
                warehouse.execute(
                    f"create table {COPY_ALIAS}.{name} as select {_exported_columns(name)} "
                    f"from {name}"
                )
    finally:
        warehouse.execute(f"detach {COPY_ALIAS}")
    return files


def _periods_with_new_snapshots(warehouse: Warehouse, previous: _PreviousCopy) -> set[date]:
    """The periods with a snapshot the previous copy does not hold: the months whose marts a run
    rebuilt and published since (a run publishes every month it rebuilt)."""
    return {
        row.period
        for row in warehouse.rows("select snapshot_id, period from scorecard.snapshots")
        if row.snapshot_id not in previous.snapshots
    }


def _export_period_table(
    warehouse: Warehouse,
    name: str,
    folder: Path,
    previous: _PreviousCopy,
    changed: set[date],
) -> dict[tuple[str, date], str]:
    """`name` in the copy as a view over one Parquet file per month: the previous copy's file
    where the month is unchanged (and the table's columns are the same), a new one otherwise."""
    columns = _columns_signature(warehouse, name)
    reusable = previous.columns.get(name) == columns
    files: dict[tuple[str, date], str] = {}
    for row in warehouse.rows(f"select distinct period from {name} order by period"):
        period, kept = row.period, previous.files.get((name, row.period))
        if reusable and kept and period not in changed and Path(kept).exists():
            files[(name, period)] = kept
            continue
        path = folder / name / f"{period:%Y-%m}_{uuid.uuid4().hex[:12]}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        file = sql_string(str(path))
        warehouse.execute(
            f"copy (select * from {name} where period = ?) to {file} (format parquet)", [period]
        )
        files[(name, period)] = str(path)
    for (_, period), file in files.items():
        warehouse.execute(
            f"insert into {COPY_ALIAS}.main.{PERIOD_FILES} values (?, ?, ?, ?)",
            [name, period, file, columns],
        )
    if files:
        paths = ", ".join(sql_string(file) for file in files.values())
        warehouse.execute(
            f"create view {COPY_ALIAS}.{name} as select * from read_parquet([{paths}])"
        )
    else:  # no month yet: an empty table with the columns
        warehouse.execute(f"create table {COPY_ALIAS}.{name} as select * from {name} limit 0")
    return files


def _columns_signature(warehouse: Warehouse, name: str) -> str:
    """The table's column names and types, in order, as one text."""
    schema, table = name.split(".")
    rows = warehouse.rows(
        """
        select column_name, data_type from duckdb_columns()
        where database_name = current_database() and schema_name = ? and table_name = ?
        order by column_index
        """,
        [schema, table],
    )
    return ", ".join(f"{row.column_name} {row.data_type}" for row in rows)


def _delete_unnamed_files(folder: Path, named: set[str]) -> None:
    """Delete the period files neither the current nor the replaced copy names (those of
    months since replaced, or of an export that stopped before its swap)."""
    if not folder.exists():
        return
    for file in folder.glob("*/*.parquet"):
        if str(file) not in named:
            file.unlink()


def _exported_columns(name: str) -> str:
    withheld = WITHHELD_COLUMNS.get(name)
    return f"* exclude ({', '.join(withheld)})" if withheld else "*"
