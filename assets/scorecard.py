"""Scoring and publication: the scored period snapshot, downstream of every blocking check."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    Config,
    Failure,
    MaterializeResult,
    asset,
)

from assets.partitions import context_months, monthly_partitions
from assets.resources import WarehouseResource
from pipelines.config import ConfigError
from pipelines.failures import BAD_INPUT, FAILURE_KIND, GATE_CLOSED
from pipelines.scoring.scorecard import load_scorecard
from pipelines.settings import get_settings
from pipelines.snapshot.bi_export import refresh_bi_copy
from pipelines.snapshot.publish import GateClosedError, publish_snapshots, rescore_snapshots
from pipelines.warehouse.lock import WAREHOUSE_POOL

SCORED_FROM = [
    AssetKey(["marts", name])
    for name in (
        "fct_kpi",
        "fct_attribution",
        "fct_channel_performance",
        "dim_team",
        "dim_rep",
        "dim_channel",
        "dim_campaign",
    )
] + [AssetKey(["staging", "stg_plans__targets"])]


class SnapshotConfig(Config):
    """rescore: score the marts already built (the `rescore_job`), gated by the runs that built
    them, under `scorecard_version` (empty: each period's effective version)."""

    rescore: bool = False
    scorecard_version: str = ""


@asset(
    key=["scorecard", "snapshot"],
    group_name="scorecard",
    description="One immutable scored snapshot per period, published atomically.",
    deps=SCORED_FROM,
    partitions_def=monthly_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
    kinds={"python"},
)
def scored_snapshot(
    context: AssetExecutionContext, warehouse: WarehouseResource, config: SnapshotConfig
) -> MaterializeResult:
    months, run_id = context_months(context), context.run.run_id
    with warehouse.open() as wh:
        try:
            scorecard = load_scorecard(get_settings().config)
            if config.rescore:
                published = rescore_snapshots(
                    wh, months, scorecard, run_id, config.scorecard_version or None
                )
            else:
                published = publish_snapshots(wh, months, scorecard, run_id)
            refresh_bi_copy(wh, get_settings())
        except ConfigError as error:
            raise Failure(
                description=str(error), metadata={FAILURE_KIND: BAD_INPUT}, allow_retries=False
            ) from None
        except GateClosedError as error:
            raise Failure(
                description=str(error), metadata={FAILURE_KIND: GATE_CLOSED}, allow_retries=False
            ) from None
    return MaterializeResult(
        metadata={
            "snapshots": [p.snapshot_id for p in published],
            "statuses": sorted({p.status for p in published}),
            "scorecard_versions": sorted({p.scorecard_version for p in published}),
            "entities_scored": sum(p.entities for p in published),
        }
    )
