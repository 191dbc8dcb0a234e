"""The BI copy: a separate DuckDB file with what BI reads, swapped in whole after a publication.

A BI tool holding the warehouse file open would block the next run (DuckDB: one writer, and a
reader holds the file). BI reads this copy instead: it is written to a temporary file beside it
and moved over the old one with os.replace (atomic), so a reader that has the old copy open
keeps its consistent old state and never blocks the pipeline, and a new connection sees the
new snapshot whole. On PostgreSQL BI reads the server directly: there is no copy.

Set-based: the warehouse ATTACHes the temporary file and fills it with CREATE TABLE AS SELECT."""

from __future__ import annotations

import os
import uuid
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
    """Copy every exported table, and every dbt view as a table, into `scratch` in one
    transaction (one consistent state)."""
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
    path_literal = "'" + str(scratch).replace("'", "''") + "'"
    warehouse.execute(f"attach {path_literal} as {COPY_ALIAS}")
    try:
        with warehouse.transaction():
            for schema in EXPORTED_SCHEMAS:
                warehouse.execute(f"create schema {COPY_ALIAS}.{checked_identifier(schema)}")
            for row in relations.itertuples():
                name = f"{checked_identifier(row.schema_name)}.{checked_identifier(row.name)}"
                withheld = WITHHELD_COLUMNS.get(name)
                columns = f"* exclude ({', '.join(withheld)})" if withheld else "*"
                warehouse.execute(
                    f"create table {COPY_ALIAS}.{name} as select {columns} from {name}"
                )
    finally:
        warehouse.execute(f"detach {COPY_ALIAS}")
