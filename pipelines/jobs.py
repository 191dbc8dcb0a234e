"""The job that runs a period (or a range of periods) end to end."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

scorecard_job = define_asset_job(
    name="scorecard_job",
    selection=AssetSelection.all(),
    description="Extract, transform, check, score and publish the selected period(s).",
)
