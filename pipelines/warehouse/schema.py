"""The warehouse layout the pipeline owns: schemas, raw tables, quality tables, scorecard tables.

dbt owns `staging`, `intermediate` and `marts`; everything else is created here with DDL both
DuckDB and PostgreSQL accept. The layout is versioned by the hash of its DDL: it is applied once
per layout version (`scorecard migrate`, or the first run of new code), never on every run,
because on PostgreSQL DDL takes an ACCESS EXCLUSIVE lock that waits behind any open BI
transaction and queues every new BI query behind itself."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

from pipelines.extract.contract import (
    DECIMAL_PRECISION,
    DECIMAL_SCALE,
    ColumnType,
    load_contract,
    raw_table_ddl,
)
from pipelines.settings import Target
from pipelines.warehouse.connection import Warehouse, WarehouseError, checked_identifier

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
    # The newest cursor value a database or API batch held: the table's watermark.
    "alter table quality.landed_batches add column if not exists source_watermark timestamp",
    # True once the raw checks found no key twice in the batch (NULL: not known); staging then
    # skips grouping that batch's rows by key (macros/deduplicate.sql).
    "alter table quality.landed_batches add column if not exists keys_unique boolean",
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
        computed_at timestamp,
        allocation_weight double precision,
        allocated_conversions double precision
    )""",
    # Warehouses created before the allocation fit get its columns (both engines accept it).
    "alter table intermediate.attribution_channel_weights "
    "add column if not exists allocation_weight double precision",
    "alter table intermediate.attribution_channel_weights "
    "add column if not exists allocated_conversions double precision",
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
    # The landed batch of each table and month a snapshot read (staging reads each month's
    # newest): where it came from and, for a database or API table, the newest cursor value it held.
    """
    create table if not exists scorecard.snapshot_sources (
        snapshot_id varchar not null,
        period date not null,
        table_name varchar not null,
        batch_id varchar not null,
        source varchar,
        loaded_at timestamp not null,
        source_watermark timestamp
    )""",
    # The open month's forecast, published with its provisional snapshot (pipelines/forecast).
    """
    create table if not exists scorecard.kpi_forecasts (
        snapshot_id varchar not null,
        period date not null,
        as_of_date date,
        days_elapsed integer not null,
        days_in_period integer not null,
        entity_type varchar not null,
        entity_id varchar not null,
        kpi varchar not null,
        value_to_date double precision,
        forecast_value double precision,
        lower double precision,
        upper double precision,
        interval_level double precision not null,
        target double precision,
        probability_reaching_target double precision,
        method varchar,
        reason varchar
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


# One row per layout version applied to this warehouse.
LAYOUT_VERSIONS_DDL = """
    create table if not exists quality.layout_versions (
        layout_hash varchar not null,
        applied_at timestamp not null
    )"""

# PostgreSQL: how long a migration waits for a lock a reader holds before it gives up (a waiting
# ACCESS EXCLUSIVE request queues every new reader behind it, so it must not wait long).
MIGRATION_LOCK_TIMEOUT = "5s"
TABLE_CREATED = re.compile(r"create table if not exists (\w+)\.(\w+)")
# Advisory lock key of migrations: two processes never apply the layout at once.
MIGRATION_LOCK_KEY = 0x5C02_0001


def layout_statements() -> list[str]:
    """Every statement of the layout, in the order they apply."""
    return [
        *(f"create schema if not exists {schema}" for schema in SCHEMAS),
        *(raw_table_ddl(table) for table in load_contract().tables.values()),
        *QUALITY_DDL,
        LAYOUT_VERSIONS_DDL,
        *ATTRIBUTION_DDL,
        *SCORECARD_DDL,
    ]


def layout_hash() -> str:
    """The version of this code's layout: a change to any statement is a new version."""
    return hashlib.sha256("\n;\n".join(layout_statements()).encode()).hexdigest()[:16]


def ensure_layout(warehouse: Warehouse) -> None:
    """The layout of this code in place: two cheap reads when it already is, a migration when the
    warehouse is new, was laid out by other code or lost a table."""
    if recorded_layout_hash(warehouse) != layout_hash() or _missing_tables(warehouse):
        migrate(warehouse)


def _missing_tables(warehouse: Warehouse) -> set[tuple[str, str]]:
    """The layout's tables the warehouse does not have (someone dropped a schema or a table)."""
    expected = {
        (match.group(1), match.group(2))
        for statement in layout_statements()
        if (match := TABLE_CREATED.match(statement.strip()))
    }
    present = warehouse.rows(
        "select schemaname, tablename from pg_catalog.pg_tables "
        "where schemaname in ('raw', 'quality', 'intermediate', 'scorecard')"
    )
    return expected - {(row.schemaname, row.tablename) for row in present}


def recorded_layout_hash(warehouse: Warehouse) -> str | None:
    """The layout version last applied to the warehouse (None: never). pg_tables: both engines
    have it, and DuckDB's information_schema is slow."""
    if not warehouse.rows(
        "select tablename from pg_catalog.pg_tables "
        "where schemaname = 'quality' and tablename = 'layout_versions'"
    ):
        return None
    rows = warehouse.rows(
        "select layout_hash from quality.layout_versions order by applied_at desc limit 1"
    )
    return str(rows[0].layout_hash) if rows else None


def migrate(warehouse: Warehouse) -> bool:
    """Apply this code's layout in one transaction, unless it is in place already; True when it
    was applied. On PostgreSQL a reader holding a lock the DDL needs makes it fail after
    MIGRATION_LOCK_TIMEOUT, naming the cause, instead of stalling the run and every BI query."""
    current = layout_hash()
    try:
        with warehouse.transaction():
            if warehouse.target is Target.POSTGRES:
                warehouse.execute("select pg_advisory_xact_lock(?)", [MIGRATION_LOCK_KEY])
                warehouse.execute(f"set local lock_timeout = '{MIGRATION_LOCK_TIMEOUT}'")
            if recorded_layout_hash(warehouse) == current and not _missing_tables(warehouse):
                return False
            for statement in layout_statements():
                warehouse.execute(statement)
            _widen_raw_columns(warehouse)
            _log_batches_landed_before_the_log(warehouse)
            warehouse.execute(
                "insert into quality.layout_versions values (?, ?)",
                [current, datetime.now(UTC).replace(tzinfo=None)],
            )
    except Exception as error:
        if type(error).__name__ != "LockNotAvailable":  # psycopg2.errors, not imported on DuckDB
            raise
        raise WarehouseError(
            f"the warehouse layout must change (new code) but a reader holds a lock on a table "
            f"it changes; waited {MIGRATION_LOCK_TIMEOUT}. Run `scorecard migrate` when no BI "
            f"transaction is open. ({str(error).strip()})"
        ) from None
    return True


def _widen_raw_columns(warehouse: Warehouse) -> None:
    """Raw tables created by older code get the contract's columns they lack and its decimal
    precision (`create table if not exists` changes neither)."""
    for table in load_contract().tables.values():
        existing = {
            row.column_name: row
            for row in warehouse.rows(
                "select column_name, numeric_precision, numeric_scale "
                "from information_schema.columns where table_schema = 'raw' and table_name = ?",
                [table.name],
            )
        }
        for column in table.columns.values():
            if column.name not in existing:
                warehouse.execute(
                    f"alter table raw.{table.name} add column {column.name} {column.warehouse_type}"
                )
                continue
            found = existing[column.name]
            if column.type is ColumnType.DECIMAL and (
                found.numeric_precision,
                found.numeric_scale,
            ) != (DECIMAL_PRECISION, DECIMAL_SCALE):
                _drop_dependent_views(warehouse, table.name)
                warehouse.execute(
                    f"alter table raw.{table.name} alter column {column.name} "
                    f"type {column.warehouse_type}"
                )


def _drop_dependent_views(warehouse: Warehouse, table: str) -> None:
    """PostgreSQL refuses to change the type of a column a view reads: drop the views over the
    raw table (dbt's staging views; the next run creates them again). DuckDB binds views late."""
    if warehouse.target is not Target.POSTGRES:
        return
    views = warehouse.rows(
        """
        select distinct view_namespace.nspname as schema_name, view_class.relname as view_name
        from pg_catalog.pg_depend as depends
        inner join pg_catalog.pg_rewrite as rules on depends.objid = rules.oid
        inner join pg_catalog.pg_class as view_class on rules.ev_class = view_class.oid
        inner join pg_catalog.pg_namespace as view_namespace
            on view_class.relnamespace = view_namespace.oid
        where depends.refobjid = cast(? as regclass) and view_class.relname <> ?
        """,
        [f"raw.{table}", table],
    )
    for view in views:
        warehouse.execute(
            f"drop view if exists {checked_identifier(view.schema_name)}."
            f"{checked_identifier(view.view_name)} cascade"
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
            insert into quality.landed_batches (
                batch_id, table_name, period, source,
                rows_read, rows_landed, rows_quarantined, loaded_at
            )
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
