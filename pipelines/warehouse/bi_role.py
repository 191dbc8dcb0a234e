"""The read-only group role BI tools use on the PostgreSQL warehouse (`scorecard grant-bi`).

BI reads the marts and the published scorecard, and the quality tables without the rows as they
arrived (`quality.quarantine.original_row` may hold PII). It reads nothing in raw, staging or
intermediate, where PII is still in clear. Tables created later in marts and scorecard (dbt
rebuilds marts tables) are readable through default privileges; those apply to tables created by
the role that runs this command, so run it as the pipeline's own user."""

from __future__ import annotations

from pipelines.settings import Target
from pipelines.warehouse.connection import Warehouse, WarehouseError, checked_identifier

READABLE_SCHEMAS = ("marts", "scorecard")
# Quality tables BI may read, and the columns it may not (column grants leave them out).
QUALITY_HIDDEN_COLUMNS: dict[str, set[str]] = {"quarantine": {"original_row"}}
PRIVATE_SCHEMAS = ("raw", "staging", "intermediate")


def grant_bi(warehouse: Warehouse, role: str) -> None:
    """Create the group role `role` (no login) if missing and give it exactly what BI may read;
    idempotent, so it can run again after a migration added quality tables."""
    if warehouse.target is not Target.POSTGRES:
        raise ValueError(
            "grant-bi is for the PostgreSQL warehouse: on DuckDB, BI reads the BI copy, which "
            "holds no raw or staging data (see README, Warehouses)"
        )
    role = checked_identifier(role)
    with warehouse.transaction():
        if not warehouse.rows("select rolname from pg_catalog.pg_roles where rolname = ?", [role]):
            warehouse.execute(f"create role {role} nologin")
        for schema in READABLE_SCHEMAS:
            warehouse.execute(f"grant usage on schema {schema} to {role}")
            warehouse.execute(f"grant select on all tables in schema {schema} to {role}")
            warehouse.execute(
                f"alter default privileges in schema {schema} grant select on tables to {role}"
            )
        warehouse.execute(f"grant usage on schema quality to {role}")
        for table in _quality_tables(warehouse):
            _grant_quality_table(warehouse, role, table)
        for schema in PRIVATE_SCHEMAS:
            warehouse.execute(f"revoke all on all tables in schema {schema} from {role}")
            warehouse.execute(f"revoke all on schema {schema} from {role}")


def _quality_tables(warehouse: Warehouse) -> list[str]:
    rows = warehouse.rows(
        "select tablename from pg_catalog.pg_tables where schemaname = 'quality' order by tablename"
    )
    if not rows:
        raise WarehouseError("the warehouse has no quality tables yet: run `scorecard migrate`")
    return [checked_identifier(row.tablename) for row in rows]


def _grant_quality_table(warehouse: Warehouse, role: str, table: str) -> None:
    hidden = QUALITY_HIDDEN_COLUMNS.get(table)
    if not hidden:
        warehouse.execute(f"grant select on quality.{table} to {role}")
        return
    columns = [
        checked_identifier(row.column_name)
        for row in warehouse.rows(
            "select column_name from information_schema.columns "
            "where table_schema = 'quality' and table_name = ? order by ordinal_position",
            [table],
        )
        if row.column_name not in hidden
    ]
    # A table-wide grant would include the hidden columns: take it back, grant column by column.
    warehouse.execute(f"revoke select on quality.{table} from {role}")
    warehouse.execute(f"grant select ({', '.join(columns)}) on quality.{table} to {role}")
