"""Schedules: periods open and close. Every morning the open month is refreshed (its snapshot is
provisional); on the configured close day (config/pipeline.yaml `schedules.close_day`) the month
that closed is scored again (its snapshot is final). Database and API sources are polled hourly
from their watermarks (files keep their sensor, assets/sensors.py)."""

from __future__ import annotations

from datetime import date

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from assets.jobs import scorecard_job
from assets.partitions import monthly_partitions, partition_key
from assets.sensors import months_run_request
from pipelines.config import load_pipeline_config
from pipelines.extract.files import LandingError
from pipelines.extract.sources.config import ApiSource
from pipelines.extract.sources.errors import SourceUnavailable
from pipelines.extract.sources.polling import months_to_run, table_watermarks
from pipelines.periods import add_months, month_label
from pipelines.settings import get_settings
from pipelines.warehouse import WarehouseError, connect


def open_month(today: date) -> date:
    return today.replace(day=1)


@schedule(cron_schedule="0 6 * * *", job=scorecard_job, execution_timezone="UTC")
def daily_open_period(context: ScheduleEvaluationContext) -> RunRequest:
    """Re-score the open month every morning: its snapshot is provisional."""
    month = open_month(context.scheduled_execution_time.date())
    return RunRequest(
        run_key=f"open-{context.scheduled_execution_time:%Y%m%d}",
        partition_key=partition_key(month),
    )


def build_close_schedule(close_day: int) -> ScheduleDefinition:
    """The monthly close at 07:00 UTC on `close_day`, after that day's refresh of the open month."""

    @schedule(
        name="monthly_close_period",
        cron_schedule=f"0 7 {close_day} * *",
        job=scorecard_job,
        execution_timezone="UTC",
    )
    def monthly_close_period(context: ScheduleEvaluationContext) -> RunRequest:
        """Score the month that closed: its snapshot is final."""
        month = add_months(open_month(context.scheduled_execution_time.date()), -1)
        return RunRequest(run_key=f"close-{month_label(month)}", partition_key=partition_key(month))

    return monthly_close_period


monthly_close_period = build_close_schedule(load_pipeline_config().schedules.close_day)


@schedule(
    cron_schedule="15 * * * *",
    job=scorecard_job,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.STOPPED,
)
def poll_sources(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
    """Run the months whose database or API rows changed since their table's watermark."""
    config = load_pipeline_config()
    if not any(source.kind != "files" for source in config.sources.values()):
        return SkipReason("no database or API source is configured")
    try:
        with connect(get_settings()) as warehouse:
            watermarks = table_watermarks(warehouse)
    except WarehouseError as error:  # a run holds the DuckDB file: the next tick polls
        return SkipReason(f"the warehouse cannot be read now: {error}")
    month = open_month(context.scheduled_execution_time.date())
    try:
        found = months_to_run(config, watermarks, month)
    except (LandingError, SourceUnavailable) as error:
        return SkipReason(str(error))
    partitions = set(monthly_partitions.get_partition_keys())
    months = [m for ms in found.values() for m in ms if partition_key(m) in partitions]
    if not months:
        return SkipReason("no source row changed since the watermarks")
    changes = [f"{name}:{watermarks.get(name)}:{found[name]}" for name in sorted(found)]
    if any(isinstance(config.sources[name], ApiSource) for name in found):
        changes.append(f"{context.scheduled_execution_time:%Y%m%d%H}")  # APIs: once a tick
    context.log.info("polled: " + "; ".join(changes))
    return months_run_request("sources", changes, months)
