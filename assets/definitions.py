"""The Dagster code location: every asset, check, job, schedule, sensor and resource in one
Definitions."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from assets.attribution import attribution_channel_weights
from assets.extract import raw_tables
from assets.jobs import rescore_job, scorecard_job
from assets.quality import quality_checks
from assets.report import scorecard_report
from assets.resources import WarehouseResource
from assets.schedules import daily_open_period, monthly_close_period, poll_sources
from assets.scorecard import scored_snapshot
from assets.sensors import alert_on_run_failure, landing_files
from assets.transform import dbt_period_models, dbt_shared_models

# In-process: DuckDB allows one writer per file, so steps run one after another in one process,
# and dbt (in this process too) parses the project once per run instead of once per step.
defs = Definitions(
    assets=[
        raw_tables,
        dbt_shared_models,
        attribution_channel_weights,
        dbt_period_models,
        scored_snapshot,
        scorecard_report,
    ],
    asset_checks=quality_checks,
    jobs=[scorecard_job, rescore_job],
    schedules=[daily_open_period, monthly_close_period, poll_sources],
    sensors=[landing_files, alert_on_run_failure],
    resources={
        "warehouse": WarehouseResource(),
    },
    executor=in_process_executor,
)
