"""The open month's forecast on hand-computed cases: projection, interval, probability of
reaching the target, the fallback with little history, and the backtest on generated data."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from pipelines.forecast.backtest import AS_OF_DAYS, backtest, coverage_by_kpi
from pipelines.forecast.projection import forecastable, project, values_by_day
from pipelines.scoring.kpi_catalogue import KpiSpec

REVENUE = KpiSpec(
    definition="revenue", unit="currency", direction="higher", entity_types=("company",),
    numerator="revenue", sources=("orders",),
)  # fmt: skip
AOV = KpiSpec(
    definition="aov", unit="currency", direction="higher", entity_types=("company",),
    numerator="revenue", denominator="orders", null_reason="no orders", sources=("orders",),
)  # fmt: skip
SPEND = KpiSpec(
    definition="spend", unit="currency", direction="lower", entity_types=("company",),
    numerator="spend", sources=("ad_spend",),
)  # fmt: skip
MAY = date(2025, 5, 1)


def daily(first: date, last: date, revenue: float, orders: float = 1, spend: float = 5):
    days = pd.date_range(first, last).date
    return pd.DataFrame({"day": days, "revenue": revenue, "orders": orders, "spend": spend})


def history(months: list[tuple[date, date]]) -> pd.DataFrame:
    """10 a day of revenue in the given past months, 20 a day in May's first 10 days."""
    frames = [daily(first, last, 10) for first, last in months]
    frames.append(daily(MAY, date(2025, 5, 10), 20, spend=6))
    return pd.concat(frames, ignore_index=True)


FEB_TO_APR = [
    (date(2025, 2, 1), date(2025, 2, 28)),
    (date(2025, 3, 1), date(2025, 3, 31)),
    (date(2025, 4, 1), date(2025, 4, 30)),
]


def test_the_projection_scales_month_to_date_by_past_months_same_days():
    kpis = {"revenue": REVENUE, "aov": AOV, "spend": SPEND}
    values = values_by_day(history(FEB_TO_APR), kpis)
    # past ratios full / first 10 days: 28/10, 31/10, 30/10; May to date: 200
    revenue = project(values, "revenue", REVENUE, MAY, 10, target=600)
    assert revenue.value_to_date == 200
    assert revenue.forecast_value == pytest.approx(200 * 3.0)  # the median ratio
    # outcomes 560, 600, 620: the 10th and 90th percentiles (linear)
    assert revenue.lower == pytest.approx(560 + 0.2 * 40)
    assert revenue.upper == pytest.approx(600 + 0.8 * 20)
    assert revenue.probability_reaching_target == pytest.approx(2 / 3)  # 600 and 620 reach it
    assert revenue.method == "same 10 days of 3 past months"
    # a ratio: 10 a day over one order a day at every day of every month: ratio 1
    aov = project(values, "aov", AOV, MAY, 10, target=25)
    assert (aov.value_to_date, aov.forecast_value, aov.lower, aov.upper) == (20, 20, 20, 20)
    assert aov.probability_reaching_target == 0
    # lower is better: spend 60 to date, projected 180; target 170 met by no past ratio
    spend = project(values, "spend", SPEND, MAY, 10, target=170)
    assert spend.forecast_value == pytest.approx(180)
    assert spend.probability_reaching_target == pytest.approx(1 / 3)  # 60 x 2.8 = 168


def test_with_fewer_than_three_past_months_there_is_no_interval():
    values = values_by_day(history(FEB_TO_APR[1:]), {"revenue": REVENUE, "aov": AOV})
    revenue = project(values, "revenue", REVENUE, MAY, 10, target=600)
    assert revenue.forecast_value == pytest.approx(200 * 31 / 10)  # pro rata by days
    assert (revenue.lower, revenue.upper, revenue.probability_reaching_target) == (None,) * 3
    assert revenue.method == "pro rata by days"
    assert revenue.reason == "no interval: 2 past month(s) with data, 3 needed"
    aov = project(values, "aov", AOV, MAY, 10, target=None)
    assert (aov.forecast_value, aov.method) == (20, "value to date")


def test_a_kpi_needing_a_measure_not_tracked_by_day_says_which():
    margin = REVENUE.model_copy(update={"numerator": "revenue - cost_of_goods"})
    reasons = forecastable({"revenue": REVENUE, "margin": margin}, ["revenue", "orders"])
    assert reasons == {"revenue": None, "margin": "not tracked by day: cost_of_goods"}


def test_the_backtest_replays_every_month_with_enough_history():
    rng = np.random.default_rng(7)
    first = date(2024, 1, 1)
    days = [first + timedelta(days=n) for n in range(365)]
    generated = pd.DataFrame(
        {
            "day": days,
            "revenue": rng.gamma(4.0, 25.0, len(days)),
            "orders": rng.poisson(3, len(days)).astype(float),
            "spend": 50.0,
        }
    )
    months = [date(2024, m, 1) for m in range(1, 13)]
    results = backtest(generated, {"revenue": REVENUE, "aov": AOV}, months)
    # months with 3 earlier months: April to December, 3 as-of days, 2 KPIs
    assert len(results) == 9 * len(AS_OF_DAYS) * 2
    assert set(results["month"]) == set(months[3:])
    inside = (results["lower"] <= results["actual"]) & (results["actual"] <= results["upper"])
    assert (results["covered"] == inside).all()
    summary = coverage_by_kpi(results)
    assert set(summary["forecasts"]) == {9}
    assert summary["coverage"].between(0, 1).all() and (summary["mape"] >= 0).all()
