"""Schedules: a daily refresh of the open month (provisional), a monthly close of the last one."""

from __future__ import annotations

from datetime import date

from dagster import RunRequest, ScheduleEvaluationContext, schedule

from pipelines.jobs import scorecard_job
from pipelines.partitions import partition_key
from pipelines.periods import add_months


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


@schedule(cron_schedule="0 7 2 * *", job=scorecard_job, execution_timezone="UTC")
def monthly_close_period(context: ScheduleEvaluationContext) -> RunRequest:
    """On the 2nd, score the month that just closed: its snapshot is final."""
    month = add_months(open_month(context.scheduled_execution_time.date()), -1)
    return RunRequest(run_key=f"close-{month:%Y-%m}", partition_key=partition_key(month))
