"""The data-driven attribution models (Markov, Shapley): a Python step between two dbt steps.

dbt aggregates the month's paths in the warehouse; this asset learns the channel weights from
that small aggregate and writes them back; dbt then joins them to the touches."""

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, MaterializeResult, asset

from assets.partitions import context_months, monthly_partitions
from assets.resources import WarehouseResource
from pipelines.attribution.weights import refresh_channel_weights
from pipelines.config import load_pipeline_config
from pipelines.warehouse.lock import WAREHOUSE_POOL


@asset(
    key=["intermediate", "attribution_channel_weights"],
    group_name="intermediate",
    description="Markov removal effects and Shapley values per month, conversion type and channel.",
    deps=[AssetKey(["intermediate", "int_attribution_paths_aggregated"])],
    partitions_def=monthly_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
    kinds={"python"},
)
def attribution_channel_weights(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    months = context_months(context)
    attribution = load_pipeline_config().attribution
    with warehouse.open() as wh:
        weights = refresh_channel_weights(wh, months[0], months[-1], attribution)
    return MaterializeResult(
        metadata={
            "rows": len(weights),
            "markov_order": attribution.markov_order,
            "channels": int(weights["channel"].nunique()),
        }
    )
