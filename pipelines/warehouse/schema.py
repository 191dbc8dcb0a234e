"""The warehouse layout the pipeline owns: schemas, raw tables, quality tables, scorecard tables.

dbt owns `staging`, `intermediate` and `marts`; everything else is created here, idempotently,
with DDL both DuckDB and PostgreSQL accept."""

from __future__ import annotations

from pipelines.extract.contract import load_contract, raw_table_ddl
from pipelines.warehouse.connection import Warehouse

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
        for ddl in (*QUALITY_DDL, *ATTRIBUTION_DDL, *SCORECARD_DDL):
            warehouse.execute(ddl)
        _log_batches_landed_before_the_log(warehouse)


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
