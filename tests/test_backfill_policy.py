"""Backfill policy: every partitioned asset runs a range in one run, so a backfill launched from
the Dagster UI asks for the same single run over the range as `scorecard backfill` does."""

from __future__ import annotations

from dagster import BackfillPolicy, DagsterInstance, PartitionKeyRange

from assets.dagster_internals import (
    AssetKeyPartitionKey,
    build_run_requests_with_backfill_policies,
)
from assets.definitions import defs
from assets.partitions import monthly_partitions


def test_every_partitioned_asset_has_the_single_run_policy():
    graph = defs.resolve_asset_graph()
    partitioned = [graph.get(key) for key in graph.materializable_asset_keys]
    partitioned = [node for node in partitioned if node.partitions_def is not None]
    assert len(partitioned) > 20
    for node in partitioned:
        assert node.backfill_policy == BackfillPolicy.single_run(), node.key


def test_a_ui_backfill_of_a_range_requests_one_run_over_the_whole_range():
    """What the backfill daemon does with the months of every partitioned asset (the same
    function it calls, on this code location's asset graph)."""
    graph = defs.resolve_asset_graph()
    months = monthly_partitions.get_partition_keys_in_range(
        PartitionKeyRange("2025-01-01", "2025-06-01")
    )
    assert len(months) == 6
    keys = [k for k in graph.materializable_asset_keys if graph.get(k).partitions_def is not None]
    requests = build_run_requests_with_backfill_policies(
        asset_partitions=[AssetKeyPartitionKey(key, month) for key in keys for month in months],
        asset_graph=graph,
        dynamic_partitions_store=DagsterInstance.ephemeral(),
    )
    [request] = requests
    assert set(request.asset_selection) == set(keys)
    assert (request.partition_key_range.start, request.partition_key_range.end) == (
        "2025-01-01",
        "2025-06-01",
    )
