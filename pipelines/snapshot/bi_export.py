"""The BI copy: a separate DuckDB file with what BI reads, swapped in whole after a publication.

A BI tool holding the warehouse file open would block the next run (DuckDB: one writer, and a
reader holds the file). BI reads this copy instead: it is written to a temporary file beside it
and moved over the old one with os.replace (atomic), so a reader that has the old copy open
keeps its consistent old state and never blocks the pipeline, and a new connection sees the
new snapshot whole. On PostgreSQL BI reads the server directly: there is no copy.

Set-based: the warehouse ATTACHes the temporary file and fills it with CREATE TABLE AS SELECT.
The cost of a run's export follows its months, not the history: the temporary file starts as a
copy of the current BI copy (a file copy), the marts rebuilt by month (`PERIOD_TABLES`) get only
the months with a snapshot the copy lacks replaced, and every other relation (small: dims,
scores, checks) is copied whole. A copy missing, or a period table whose columns changed, is
rebuilt whole."""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import date
from pathlib import Path

import duckdb

from pipelines.failpoints import failpoint
from pipelines.settings import Settings, Target
from pipelines.warehouse import Warehouse
from pipelines.warehouse.connection import checked_identifier
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
    try:
        if target.exists():
            shutil.copyfile(target, scratch)
        _copy_tables(warehouse, scratch)
        with duckdb.connect(str(scratch)) as copy:
            for view_ddl in PIPELINE_VIEWS:
                copy.execute(view_ddl)
        failpoint("bi_export.before_swap")
        os.replace(scratch, target)
    finally:
        scratch.unlink(missing_ok=True)
        scratch.with_name(scratch.name + ".wal").unlink(missing_ok=True)
    return target


def _copy_tables(warehouse: Warehouse, scratch: Path) -> None:
    """Bring `scratch` (empty, or the previous copy) to the warehouse's exported state in one
    transaction (one consistent state): period tables by changed month, the rest whole."""
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
    path_literal = "'" + str(scratch).replace("'", "''") + "'"
    warehouse.execute(f"attach {path_literal} as {COPY_ALIAS}")
    try:
        copied = _copied_relations(warehouse)
        changed_months = _months_with_new_snapshots(warehouse, copied)
        with warehouse.transaction():
            for view in copied["views"]:
                warehouse.execute(f"drop view {COPY_ALIAS}.{view}")
            for stale in copied["tables"] - exported:
                warehouse.execute(f"drop table {COPY_ALIAS}.{stale}")
            for schema in EXPORTED_SCHEMAS:
                warehouse.execute(
                    f"create schema if not exists {COPY_ALIAS}.{checked_identifier(schema)}"
                )
            for name in sorted(exported):
                columns = _exported_columns(name)
                if name in PERIOD_TABLES and _same_columns(warehouse, name, copied["tables"]):
                    _replace_months(warehouse, name, columns, changed_months)
                    continue
                warehouse.execute(f"drop table if exists {COPY_ALIAS}.{name}")
                warehouse.execute(
                    f"create table {COPY_ALIAS}.{name} as select {columns} from {name}"
                )
    finally:
        warehouse.execute(f"detach {COPY_ALIAS}")


def _exported_columns(name: str) -> str:
    withheld = WITHHELD_COLUMNS.get(name)
    return f"* exclude ({', '.join(withheld)})" if withheld else "*"


def _copied_relations(warehouse: Warehouse) -> dict[str, set[str]]:
    """The tables and views the scratch copy holds (none when it starts empty), as schema.name."""
    found: dict[str, set[str]] = {"tables": set(), "views": set()}
    for kind, function, column in (("tables", "duckdb_tables", "table_name"),
                                   ("views", "duckdb_views", "view_name")):  # fmt: skip
        rows = warehouse.query(
            f"select schema_name, {column} as name from {function}() "
            "where database_name = ? and not internal",
            [COPY_ALIAS],
        )
        found[kind] = {
            f"{checked_identifier(row.schema_name)}.{checked_identifier(row.name)}"
            for row in rows.itertuples()
        }
    return found


def _months_with_new_snapshots(warehouse: Warehouse, copied: dict[str, set[str]]) -> list[date]:
    """The periods with a snapshot the copy does not hold yet: the months whose marts a run
    rebuilt and published since the copy was made (a run publishes every month it rebuilt)."""
    if "scorecard.snapshots" not in copied["tables"]:
        return []
    return list(
        warehouse.query(
            f"""
            select distinct period from scorecard.snapshots
            where snapshot_id not in (select snapshot_id from {COPY_ALIAS}.scorecard.snapshots)
            """
        )["period"]
    )


def _same_columns(warehouse: Warehouse, name: str, copied_tables: set[str]) -> bool:
    """Whether the copy holds `name` with the warehouse's columns (else it is rebuilt whole)."""
    if name not in copied_tables:
        return False
    schema, table = name.split(".")
    columns = [
        warehouse.query(
            f"""
            select column_name, data_type from duckdb_columns()
            where database_name = {database} and schema_name = ? and table_name = ?
            order by column_index
            """,
            [schema, table],
        ).values.tolist()
        for database in ("current_database()", f"'{COPY_ALIAS}'")
    ]
    return columns[0] == columns[1]


def _replace_months(warehouse: Warehouse, name: str, columns: str, months: list[date]) -> None:
    if not months:
        return
    in_months = "period in (select unnest(?))"
    warehouse.execute(f"delete from {COPY_ALIAS}.{name} where {in_months}", [months])
    warehouse.execute(
        f"insert into {COPY_ALIAS}.{name} select {columns} from {name} where {in_months}",
        [months],
    )
