"""The HTML scorecard of each period a run published, written where `scorecard report` writes."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    asset,
)

from assets.partitions import context_months, monthly_partitions
from assets.resources import WarehouseResource
from pipelines.periods import month_label
from pipelines.report.gather import gather
from pipelines.report.render import write_report
from pipelines.settings import get_settings
from pipelines.warehouse.lock import WAREHOUSE_POOL


@asset(
    key=["scorecard", "report"],
    group_name="scorecard",
    description="One self-contained HTML scorecard per period, from its current snapshot.",
    deps=[AssetKey(["scorecard", "snapshot"])],
    partitions_def=monthly_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
    kinds={"html"},
)
def scorecard_report(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    """Reads only (a handful of queries per month), so it costs little beside the run."""
    reports = get_settings().reports_path
    with warehouse.open() as wh:
        paths = [
            write_report(gather(wh, month, month, month_label(month)), reports)
            for month in context_months(context)
        ]
    return MaterializeResult(
        metadata={
            "reports": [str(path) for path in paths],
            "latest": MetadataValue.path(str(paths[-1])),
        }
    )
