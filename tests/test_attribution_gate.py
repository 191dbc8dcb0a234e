"""The attribution reconciliation blocks publication when it is broken: after a good run, the
Markov weights of the month are corrupted (one channel's allocation weighs -0.01, as a faulty
model might produce), and the period's marts and snapshot are materialized again through
Dagster. The reconciliation tests must fail as blocking checks and no snapshot may be
published."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import materialize

from assets.definitions import defs
from assets.partitions import partition_key
from assets.runner import dagster_instance
from assets.scorecard import scored_snapshot
from assets.transform import dbt_period_models
from pipelines.exit_codes import ExitCode
from pipelines.settings import get_settings
from pipelines.warehouse import connect
from tests.pipeline_runs import FIRST, generate_small, run, scalar

pytestmark = pytest.mark.integration


def test_broken_credit_fails_the_reconciliation_and_publishes_nothing(isolated_env: Path):
    generate_small(isolated_env / "landing", last=FIRST)
    assert run(FIRST, FIRST).exit_code is ExitCode.PUBLISHED
    published = scalar("select count(*) from scorecard.snapshots")

    with connect(get_settings()) as warehouse:
        warehouse.execute(
            "update intermediate.attribution_channel_weights set allocation_weight = -0.01 "
            "where model = 'markov' and channel = 'direct'"
        )
    result = materialize(
        [dbt_period_models, scored_snapshot],
        partition_key=partition_key(FIRST),
        resources=defs.resources,
        instance=dagster_instance(),
        raise_on_error=False,
    )

    failed = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
    assert "assert_attribution_credit_sums_to_one" in failed
    assert "assert_attribution_revenue_reconciles" in failed
    assert "assert_data_driven_credit_reconciles_per_channel" in failed
    assert not result.success
    snapshot_steps = [e for e in result.all_events if e.step_key == "scorecard__snapshot"]
    assert not any(e.is_successful_output or e.is_step_success for e in snapshot_steps)
    assert scalar("select count(*) from scorecard.snapshots") == published
