"""The warehouse layout the pipeline owns: schemas, raw tables, quality tables, scorecard tables.

dbt owns `staging`, `intermediate` and `marts`; everything else is created here, idempotently,
with DDL both DuckDB and PostgreSQL accept."""

from __future__ import annotations

from pipelines.extract.contract import (
    DECIMAL_PRECISION,
    DECIMAL_SCALE,
    DECIMAL_TYPE,
    ColumnType,
    load_contract,
    raw_table_ddl,
)
from pipelines.settings import Target
from pipelines.warehouse.connection import Warehouse, checked_identifier

SCHEMAS = ("raw", "staging", "intermediate", "marts", "scorecard", "quality")

QUALITY_DDL = (
    """
    create table if not exists quality.quarantine (
        quarantined_at timestamp,
        batch_id varchar,
        table_name varchar,
        period date,
        source varchar,
        source_row bigint,
        reason varchar,
        original_row varchar
    )""",
    """
    create table if not exists quality.check_results (
        run_id varchar,
        checked_at timestamp,
        period_from date,
        period_to date,
        asset varchar,
        check_name varchar,
        severity varchar,
        passed boolean,
        observed varchar,
        threshold varchar,
        details varchar
    )""",
    # One row per file landed (a header-only file too): which tables a business provides, for
    # which months. A table with no row here for a month sent no file for it.
    """
    create table if not exists quality.landed_batches (
        batch_id varchar,
        table_name varchar,
        period date,
        source varchar,
        rows_read bigint,
        rows_landed bigint,
        rows_quarantined bigint,
        loaded_at timestamp
    )""",
)

# Written between two dbt steps by the data-driven attribution models (pipelines/attribution);
# dbt reads it as source attribution.channel_weights.
ATTRIBUTION_DDL = (
    """
    create table if not exists intermediate.attribution_channel_weights (
        period date not null,
        conversion_type varchar not null,
        model varchar not null,
        channel varchar not null,
        model_channel varchar not null,
        model_value double precision,
        weight double precision not null,
        credited_conversions double precision,
        computed_at timestamp
    )""",
)

SCORECARD_DDL = (
    """
    create table if not exists scorecard.snapshots (
        snapshot_id varchar primary key,
        period date not null,
        status varchar not null,
        scored_at timestamp not null,
        run_id varchar,
        scorecard_version varchar not null,
        scorecard_hash varchar not null,
        code_version varchar,
        source_watermark timestamp,
        checks_passed boolean not null,
        checks_summary varchar
    )""",
    """
    create table if not exists scorecard.kpi_scores (
        snapshot_id varchar not null,
        period date not null,
        entity_type varchar not null,
        entity_id varchar not null,
        kpi varchar not null,
        perspective varchar,
        value double precision,
        target double precision,
        achievement double precision,
        score double precision,
        weight double precision,
        effective_weight double precision,
        weighted_score double precision,
        status varchar,
        previous_value double precision,
        year_ago_value double precision,
        peer_median double precision,
        peer_top_decile double precision,
        alert boolean,
        alert_change double precision
    )""",
    """
    create table if not exists scorecard.entity_scores (
        snapshot_id varchar not null,
        period date not null,
        entity_type varchar not null,
        entity_id varchar not null,
        parent_entity_id varchar,
        total_score double precision,
        grade varchar,
        grade_label varchar,
        rank bigint,
        percentile double precision,
        achievement_basis double precision,
        bonus_multiplier double precision,
        rolled_up_score double precision,
        peer_group varchar
    )""",
    # Warehouses created before roll-ups and peer groups get the columns (both engines accept it).
    "alter table scorecard.entity_scores add column if not exists rolled_up_score double precision",
    "alter table scorecard.entity_scores add column if not exists peer_group varchar",
    """
    create table if not exists scorecard.alerts (
        snapshot_id varchar not null,
        period date not null,
        entity_type varchar not null,
        entity_id varchar not null,
        kpi varchar not null,
        value double precision,
        baseline double precision,
        change double precision,
        direction varchar,
        threshold double precision
    )""",
    # The snapshot BI should read per period: the newest final one, else the newest provisional.
    """
    create or replace view scorecard.current_snapshots as
    select snapshot_id, period, status, scored_at, scorecard_version
    from (
        select
            snapshots.*,
            row_number() over (
                partition by period
                order by
                    case when status = 'final' then 0 else 1 end,
                    scored_at desc,
                    snapshot_id desc
            ) as recency
        from scorecard.snapshots as snapshots
    ) as ranked
    where recency = 1""",
    """
    create or replace view scorecard.current_kpi_scores as
    select kpi_scores.*
    from scorecard.kpi_scores as kpi_scores
    inner join scorecard.current_snapshots as current_snapshots
        on kpi_scores.snapshot_id = current_snapshots.snapshot_id""",
    """
    create or replace view scorecard.current_alerts as
    select alerts.*
    from scorecard.alerts as alerts
    inner join scorecard.current_snapshots as current_snapshots
        on alerts.snapshot_id = current_snapshots.snapshot_id""",
    """
    create or replace view scorecard.current_entity_scores as
    select entity_scores.*
    from scorecard.entity_scores as entity_scores
    inner join scorecard.current_snapshots as current_snapshots
        on entity_scores.snapshot_id = current_snapshots.snapshot_id""",
)


def ensure_layout(warehouse: Warehouse) -> None:
    """Create every schema and pipeline-owned table that does not exist yet."""
    with warehouse.transaction():
        for schema in SCHEMAS:
            warehouse.execute(f"create schema if not exists {schema}")
        for table in load_contract().tables.values():
            warehouse.execute(raw_table_ddl(table))
        _widen_amounts(warehouse)
        for ddl in (*QUALITY_DDL, *ATTRIBUTION_DDL, *SCORECARD_DDL):
            warehouse.execute(ddl)
        _log_batches_landed_before_the_log(warehouse)


# The views of a PostgreSQL schema that read a given table (dbt's staging views over raw).
_DEPENDENT_VIEWS = """
    select distinct view_schema.nspname as view_schema, view_class.relname as view_name
    from pg_depend
    inner join pg_rewrite on pg_depend.objid = pg_rewrite.oid
    inner join pg_class as view_class on pg_rewrite.ev_class = view_class.oid
    inner join pg_namespace as view_schema on view_class.relnamespace = view_schema.oid
    inner join pg_class as table_class on pg_depend.refobjid = table_class.oid
    inner join pg_namespace as table_schema on table_class.relnamespace = table_schema.oid
    where table_schema.nspname = 'raw' and table_class.relname = ?
        and view_class.oid <> table_class.oid
"""


def _widen_amounts(warehouse: Warehouse) -> None:
    """Amount columns of raw tables created when amounts were narrower (DECIMAL(18,4)) widened
    to the contract's type in place, values kept exactly: else the landing's checked values
    would be rounded on insert. The staging views over them are rebuilt by dbt's next run
    (PostgreSQL refuses to alter a column a view reads, so they are dropped first)."""
    amounts = {
        (table.name, column.name)
        for table in load_contract().tables.values()
        for column in table.columns.values()
        if column.type is ColumnType.DECIMAL
    }
    found = warehouse.rows(
        "select table_name, column_name, numeric_precision, numeric_scale "
        "from information_schema.columns where table_schema = 'raw'"
    )
    narrow = sorted(
        (row.table_name, row.column_name)
        for row in found
        if (row.table_name, row.column_name) in amounts
        and (row.numeric_precision, row.numeric_scale) != (DECIMAL_PRECISION, DECIMAL_SCALE)
    )
    for table, column in narrow:
        if warehouse.target is Target.POSTGRES:
            for view in warehouse.rows(_DEPENDENT_VIEWS, [table]):
                name = (
                    f"{checked_identifier(view.view_schema)}.{checked_identifier(view.view_name)}"
                )
                warehouse.execute(f"drop view if exists {name} cascade")
        warehouse.execute(
            f"alter table raw.{checked_identifier(table)} "
            f"alter column {checked_identifier(column)} type {DECIMAL_TYPE}"
        )


def _log_batches_landed_before_the_log(warehouse: Warehouse) -> None:
    """A warehouse filled before `quality.landed_batches` existed gets its batches logged from the
    raw tables' batch columns, once: without them every source would read as not provided.
    (A header-only file of that time left no trace and stays unlogged.)"""
    if warehouse.scalar("select count(*) from quality.landed_batches"):
        return
    for table in load_contract().tables.values():
        warehouse.execute(
            f"""
            insert into quality.landed_batches
            select
                landed.batch_id,
                ?,
                landed.period,
                landed.source,
                landed.row_count + coalesce(quarantined.row_count, 0),
                landed.row_count,
                coalesce(quarantined.row_count, 0),
                landed.loaded_at
            from (
                select
                    _batch_id as batch_id,
                    _period as period,
                    max(_source) as source,
                    count(*) as row_count,
                    max(_loaded_at) as loaded_at
                from raw.{table.name}
                group by _batch_id, _period
            ) as landed
            left join (
                select batch_id, count(*) as row_count
                from quality.quarantine
                group by batch_id
            ) as quarantined
                on landed.batch_id = quarantined.batch_id
            """,
            [table.name],
        )
