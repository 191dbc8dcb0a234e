"""The jobs: one runs periods end to end, the other re-scores periods already built."""

from __future__ import annotations

from dagster import AssetKey, AssetSelection, define_asset_job

scorecard_job = define_asset_job(
    name="scorecard_job",
    selection=AssetSelection.all(),
    description="Extract, transform, check, score and publish the selected period(s).",
)

# Only the snapshot asset, from the marts already in the warehouse (no extraction, no dbt); the
# asset's config (rescore: true) switches its gate to the runs that built those marts.
rescore_job = define_asset_job(
    name="rescore_job",
    selection=AssetSelection.assets(AssetKey(["scorecard", "snapshot"])),
    description="Re-score the selected period(s) from the marts under a scorecard version.",
)
