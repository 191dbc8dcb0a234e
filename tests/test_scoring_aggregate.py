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


def test_scales_are_read_off_the_months_and_values_without_parts_are_averaged() -> None:
    monthly = pd.DataFrame(
        [
            # NPS, 100 x (promoters - detractors) / responses: 100 x (3 - 1) / 10 = 20 and
            # 100 x (1 - 1) / 10 = 0 -> 100 x 2 / 20 = 10 over the two months
            (APR, "company", "all", "nps", 20.0, 2.0, 10.0, "points"),
            (MAY, "company", "all", "nps", 0.0, 0.0, 10.0, "points"),
            # CPM, 1000 x spend / impressions: 1000 x (30 + 10) / (1000 + 3000) = 10
            (APR, "company", "all", "cpm", 30.0, 30.0, 1000.0, "currency"),
            (MAY, "company", "all", "cpm", 3.333, 10.0, 3000.0, "currency"),
            # a median and a rate entered by hand have no parts: the mean of the months
            (APR, "rep", "r1", "lead_to_deal_days_median", 10.0, 10.0, NAN, "days"),
            (MAY, "rep", "r1", "lead_to_deal_days_median", 20.0, 20.0, NAN, "days"),
            (APR, "rep", "r1", "training_completion", 0.5, 0.5, NAN, "ratio"),
            (MAY, "rep", "r1", "training_completion", 0.7, 0.7, NAN, "ratio"),
        ],
        columns=[
            "period", "entity_type", "entity_id", "kpi", "value", "numerator", "denominator",
            "unit",
        ],
    )  # fmt: skip
    rows = aggregate_kpis(monthly).set_index("kpi")["value"]
    assert rows.to_dict() == pytest.approx(
        {"nps": 10.0, "cpm": 10.0, "lead_to_deal_days_median": 15.0, "training_completion": 0.6}
    )
