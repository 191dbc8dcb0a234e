"""Quarter and year KPI values from months, on a hand-computed case."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipelines.scoring.aggregate import AGGREGATED_COLUMNS, aggregate_kpis

APR, MAY, JUN = (date(2025, month, 1) for month in (4, 5, 6))
NAN = np.nan


def test_sums_add_up_and_ratios_are_recomputed_from_numerators_and_denominators() -> None:
    monthly = pd.DataFrame(
        [
            # revenue: a sum (no denominator)
            (APR, "rep", "r1", "revenue", 100.0, 100.0, NAN, "currency"),
            (MAY, "rep", "r1", "revenue", 50.0, 50.0, NAN, "currency"),
            (JUN, "rep", "r1", "revenue", NAN, NAN, NAN, "currency"),
            # win rate: 1/2, 3/4, 0/0 (NULL) -> 4 / 6, not the mean of 0.5 and 0.75
            (APR, "rep", "r1", "win_rate", 0.5, 1.0, 2.0, "ratio"),
            (MAY, "rep", "r1", "win_rate", 0.75, 3.0, 4.0, "ratio"),
            (JUN, "rep", "r1", "win_rate", NAN, 0.0, 0.0, "ratio"),
            # complaints per 100 orders: 100 x (1 + 2) / (50 + 150) = 1.5
            (APR, "team", "t1", "complaint_rate", 2.0, 1.0, 50.0, "per_100_orders"),
            (MAY, "team", "t1", "complaint_rate", 1.333, 2.0, 150.0, "per_100_orders"),
            # a ratio whose denominators are all 0: NULL
            (APR, "team", "t1", "win_rate", NAN, 0.0, 0.0, "ratio"),
            # a sum with no value in any month: NULL
            (APR, "team", "t1", "leads", NAN, NAN, NAN, "count"),
        ],
        columns=[
            "period", "entity_type", "entity_id", "kpi", "value", "numerator", "denominator",
            "unit",
        ],
    )  # fmt: skip
    result = aggregate_kpis(monthly)
    assert result.columns.tolist() == AGGREGATED_COLUMNS
    rows = result.set_index(["entity_id", "kpi"])
    assert rows["value"].to_dict() == pytest.approx(
        {
            ("r1", "revenue"): 150.0,
            ("r1", "win_rate"): 4 / 6,
            ("t1", "complaint_rate"): 1.5,
            ("t1", "leads"): NAN,
            ("t1", "win_rate"): NAN,
        },
        nan_ok=True,
    )
    assert rows.loc[("r1", "win_rate"), ["numerator", "denominator", "months"]].tolist() == [
        4.0,
        6.0,
        3,
    ]
    assert np.isnan(rows.loc[("r1", "revenue"), "denominator"])
