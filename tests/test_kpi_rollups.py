"""marts.fct_kpi_rollups on a hand-computed quarter (April to June 2025, built in one run): the
roll-up rule and scale of each KPI come from the KPI catalogue. Sums add up, ratios are their
summed parts (times the scale), values without parts are the mean of their months, and a span
without a value says why."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from tests.dbt_fixtures import (
    ScratchWarehouse,
    ad_spend_row,
    customer_row,
    duckdb_warehouse,
    lead_row,
    manual_kpi_row,
    order_row,
    survey_row,
)

APRIL, JUNE = date(2025, 4, 1), date(2025, 6, 1)


def won(lead_id: str, created_at: str, closed_at: str) -> dict:
    return lead_row(lead_id, created_at, "email", status="won", closed_at=closed_at)


def lost(lead_id: str, created_at: str, closed_at: str) -> dict:
    return lead_row(lead_id, created_at, "email", status="lost", closed_at=closed_at)


def nps_responses(month: str, scores: list[int]) -> list[dict]:
    return [
        survey_row(f"s{month}-{i}", "c1", f"2025-{month}-10 10:00", score, "nps_0_10")
        for i, score in enumerate(scores)
    ]


RAW_ROWS = {
    "teams": [{"team_id": "t1", "team_name": "Sales", "stage": "mature"}],
    "reps": [
        {"rep_id": "r1", "rep_name": "Ann", "team_id": "t1", "hired_at": date(2024, 1, 1)},
    ],
    "customers": [customer_row("c1", owner_rep_id="r1"), customer_row("c2")],
    # revenue 100 (April) + 50 (May) + 0 (June) over 2 orders
    "orders": [
        order_row("o1", "c1", "2025-04-10 10:00", gross=100),
        order_row("o2", "c2", "2025-05-10 10:00", gross=50),
    ],
    # win rate 1 / 2 (April), 3 / 4 (May): 4 / 6, not the mean of 0.5 and 0.75; median days
    # to a deal 10 (April), 20 (May), none in June: the mean of the months with one, 15
    "leads": [
        won("l1", "2025-04-01 10:00", "2025-04-11 10:00"),
        lost("l2", "2025-04-02 10:00", "2025-04-12 10:00"),
        won("l3", "2025-05-01 10:00", "2025-05-21 10:00"),
        won("l4", "2025-05-02 10:00", "2025-05-22 10:00"),
        won("l5", "2025-05-03 10:00", "2025-05-23 10:00"),
        lost("l6", "2025-05-04 10:00", "2025-05-24 10:00"),
    ],
    # CPM 1000 x 30 / 1000 = 30 and 1000 x 10 / 3000 = 3.33: 1000 x 40 / 4000 = 10
    "ad_spend": [
        ad_spend_row("2025-04-05", "paid_search", "cmp_a", 30, impressions=1000),
        ad_spend_row("2025-05-05", "paid_search", "cmp_a", 10, impressions=3000),
    ],
    # NPS 100 x (3 - 1) / 10 = 20 and 100 x (1 - 1) / 10 = 0: 100 x 2 / 20 = 10
    "surveys": [
        *nps_responses("04", [10, 9, 9, 6, 8, 8, 8, 7, 7, 7]),
        *nps_responses("05", [10, 5, 8, 8, 8, 8, 7, 7, 7, 7]),
    ],
    # entered by hand, no parts: the mean of the months entered, 0.6
    "manual_kpis": [
        manual_kpi_row("2025-04", "rep", "r1", "training_completion", 0.5),
        manual_kpi_row("2025-05", "rep", "r1", "training_completion", 0.7),
    ],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Iterator[ScratchWarehouse]:
    scratch = duckdb_warehouse(tmp_path_factory.mktemp("kpi_rollups"))
    scratch.insert(RAW_ROWS)
    scratch.log_landed_batch("budgets", APRIL, "budgets-header-only")  # a budget of 0
    scratch.build(APRIL, JUNE)
    return scratch


def rollups(warehouse: ScratchWarehouse, grain: str, entity_id: str) -> dict[str, tuple]:
    """{kpi: (value, numerator, denominator, months, method, null_reason)} of the span."""
    frame = warehouse.query(
        "select kpi, value, numerator, denominator, months, method, null_reason "
        "from marts.fct_kpi_rollups where period_grain = ? and period = ? and entity_id = ?",
        [grain, date(2025, 4 if grain == "quarter" else 1, 1), entity_id],
    )
    frame = frame.astype(object).where(frame.notna(), None)
    return {row[0]: tuple(row[1:]) for row in frame.itertuples(index=False)}


def test_sums_add_up_and_ratios_are_their_summed_parts_times_the_scale(warehouse):
    quarter = rollups(warehouse, "quarter", "company")
    assert quarter["revenue"] == (150, None, None, 3, "sum", None)
    assert quarter["aov"] == (75, 150, 2, 3, "ratio of sums", None)
    assert quarter["win_rate"] == (pytest.approx(4 / 6), 4, 6, 3, "ratio of sums", None)
    assert quarter["cpm"] == (10, 40, 4000, 3, "ratio of sums", None)
    assert quarter["nps"] == (10, 2, 20, 3, "ratio of sums", None)
    assert rollups(warehouse, "year", "company")["revenue"] == (150, None, None, 3, "sum", None)


def test_values_without_parts_are_the_mean_of_their_months(warehouse):
    quarter = rollups(warehouse, "quarter", "company")
    assert quarter["lead_to_deal_days_median"][:5] == (15, None, None, 3, "mean of months")
    r1 = rollups(warehouse, "quarter", "r1")
    assert r1["training_completion"] == (pytest.approx(0.6), None, None, 3, "mean of months", None)


def test_a_span_without_a_value_says_why(warehouse):
    quarter = rollups(warehouse, "quarter", "company")
    # tickets never landed
    assert quarter["complaint_rate"] == (
        None,
        None,
        None,
        3,
        "ratio of sums",
        "source not provided: tickets",
    )
    # budgets landed a header-only file: a budget of 0 in every month
    assert quarter["budget_deviation"] == (
        None,
        40,
        0,
        3,
        "ratio of sums",
        "zero denominator over the span",
    )
