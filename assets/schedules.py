"""Schedules: periods open and close. Every morning the open month is refreshed (its snapshot is
provisional); on the configured close day (config/pipeline.yaml `schedules.close_day`) the month
that closed is scored again (its snapshot is final)."""

from __future__ import annotations

from datetime import date

from dagster import RunRequest, ScheduleDefinition, ScheduleEvaluationContext, schedule

from assets.jobs import scorecard_job
from assets.partitions import partition_key
from pipelines.config import load_pipeline_config
from pipelines.periods import add_months, month_label


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
