"""Monthly partitions from the configured first period; the open (current) month included."""

from __future__ import annotations

from datetime import date

from dagster import AssetExecutionContext, MonthlyPartitionsDefinition

from assets.dagster_internals import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)
from pipelines.config import load_pipeline_config
from pipelines.periods import add_months, months_between, parse_month

monthly_partitions = MonthlyPartitionsDefinition(
    start_date=f"{load_pipeline_config().first_period}-01", end_offset=1
)


def partition_key(month: date) -> str:
    return month.isoformat()


def context_months(context: AssetExecutionContext) -> list[date]:
    """The months a run covers: one partition, or a range under a single-run backfill."""
    window = context.partition_time_window
    return months_between(window.start.date(), add_months(window.end.date(), -1))


def run_months(context: AssetExecutionContext) -> list[date]:
    """The months of the run an unpartitioned asset executes in: its partition or partition range;
    materialized on its own, every partition month."""
    tags = context.run.tags
    first = tags.get(ASSET_PARTITION_RANGE_START_TAG) or tags.get(PARTITION_NAME_TAG)
    last = tags.get(ASSET_PARTITION_RANGE_END_TAG) or tags.get(PARTITION_NAME_TAG)
    if first and last:
        return months_between(parse_month(first), parse_month(last))
    keys = monthly_partitions.get_partition_keys()
    return months_between(parse_month(keys[0]), parse_month(keys[-1]))
