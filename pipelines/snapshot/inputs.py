"""What scoring reads from the warehouse: KPI facts with history, targets, the entity tree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from pipelines.periods import add_months
from pipelines.warehouse import Warehouse

# Comparisons reach back one year (same month last year) plus the trailing baseline.
HISTORY_MONTHS = 13


@dataclass(frozen=True)
class ScoringInputs:
    kpis: pd.DataFrame
    targets: pd.DataFrame
    entities: pd.DataFrame


def read_inputs(warehouse: Warehouse, first: date, last: date) -> ScoringInputs:
    kpis = warehouse.query(
        """
        select
            period,
            entity_type,
            entity_id,
            kpi,
            cast(value as double precision) as value,
            null_reason
        from marts.fct_kpi
        where period between ? and ?
        """,
        [add_months(first, -HISTORY_MONTHS), last],
    )
    targets = warehouse.query(
        """
        select
            period,
            entity_type,
            entity_id,
            kpi,
            cast(target_value as double precision) as target_value
        from staging.stg_plans__targets
        where period_grain = 'month' and period between ? and ?
        """,
        [first, last],
    )
    # Peers: reps of the same role, teams of the same stage. Reps take their team's stage for
    # the scorecard's by_stage lists.
    entities = warehouse.query(
        """
        select 'company' as entity_type, 'company' as entity_id,
               cast(null as varchar) as parent_entity_id, cast(null as varchar) as stage,
               cast(null as varchar) as peer_group
        union all
        select 'team', team_id, coalesce(parent_team_id, 'company'), stage, stage
        from marts.dim_team
        union all
        select 'rep', reps.rep_id, reps.team_id, teams.stage, reps.role
        from marts.dim_rep as reps
        left join marts.dim_team as teams on reps.team_id = teams.team_id
        union all
        select 'channel', channel, 'company', cast(null as varchar), cast(null as varchar)
        from marts.dim_channel
        union all
        select 'campaign', campaign_id, channel, cast(null as varchar), cast(null as varchar)
        from marts.dim_campaign
        """
    )
    for frame in (kpis, targets):
        frame["period"] = pd.to_datetime(frame["period"]).dt.date
    return ScoringInputs(kpis=kpis, targets=targets, entities=entities)


def source_batches(warehouse: Warehouse, first: date, last: date) -> pd.DataFrame:
    """Per period, the newest landed batch of each table (what staging reads), with its source
    and its cursor watermark (NULL for a file): the lineage a snapshot records."""
    return warehouse.query(
        """
        select period, table_name, batch_id, source, loaded_at, source_watermark
        from (
            select
                *,
                row_number() over (
                    partition by table_name, period order by loaded_at desc, batch_id desc
                ) as newest
            from quality.landed_batches
            where period between ? and ?
        ) as batches
        where newest = 1
        order by period, table_name
        """,
        [first, last],
    )


def source_watermark(batches: pd.DataFrame) -> datetime | None:
    """A snapshot's single watermark: the newest cursor value of its database and API batches,
    else the newest load of its files (what it saw, at the latest)."""
    if batches.empty:
        return None
    cursors = batches["source_watermark"].dropna()
    newest = cursors.max() if not cursors.empty else batches["loaded_at"].max()
    return pd.Timestamp(newest).to_pydatetime()
