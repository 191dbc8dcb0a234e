"""A backfill gives every month the same attribution as running the months one by one in order:
paths reach into the previous month's touchpoints, and visitors are linked to customers only as
known at the time, so data landed later changes nothing already computed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.exit_codes import ExitCode
from pipelines.quality import shape_worker
from tests.pipeline_runs import FIRST, SECOND, generate_small, query, run

pytestmark = pytest.mark.integration

ATTRIBUTION = (
    "select period, conversion_id, model, touch_position, touchpoint_id, channel, credit, "
    "credited_revenue from marts.fct_attribution order by period, conversion_id, model, "
    "touch_position"
)
WEIGHTS = (
    "select period, conversion_type, model, channel, model_value, weight "
    "from marts.fct_attribution_model_weights order by period, conversion_type, model, channel"
)


def run_in(folder: Path, monkeypatch: pytest.MonkeyPatch, ranges: list[tuple]) -> dict:
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(folder / "warehouse.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(folder / "dagster_home"))
    for first, last in ranges:
        outcome = run(first, last)
        assert outcome.exit_code is ExitCode.PUBLISHED, outcome.problems
        # The great-expectations worker ends with the raw step: not resident during the SQL.
        assert shape_worker._worker is None
    return {"attribution": query(ATTRIBUTION), "weights": query(WEIGHTS)}


def test_backfill_matches_months_run_in_order(isolated_env: Path, monkeypatch):
    generate_small(isolated_env / "landing", last=SECOND)
    in_order = run_in(isolated_env / "in_order", monkeypatch, [(FIRST, FIRST), (SECOND, SECOND)])
    backfill = run_in(isolated_env / "backfill", monkeypatch, [(FIRST, SECOND)])
    for name, frame in in_order.items():
        assert len(frame) > 0, name
        assert frame["period"].nunique() == 2, name
        pd.testing.assert_frame_equal(frame, backfill[name], check_exact=False, rtol=1e-9)
