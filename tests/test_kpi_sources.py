"""marts.fct_kpi when a business provides only some sources: a KPI whose source is not in use is
NULL with 'source not provided: ...' (never 0), an empty month of a table in use is zero, and a
margin KPI is NULL while any order item of its window lacks a unit_cost.

One hand-made marketplace, built February to April 2025 in one run (a backfill): orders,
customers and order items only (no ad spend, touchpoints, tickets, surveys); leads sent a
header-only file for March; unit_cost first landed non-null in March."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from tests.dbt_fixtures import (
    ScratchWarehouse,
    customer_row,
    order_item_row,
    order_row,
    scratch_warehouse,
)

FEBRUARY, MARCH, APRIL = date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)


def landed(month: date, rows: list[dict]) -> list[dict]:
    """The rows as one file of `month`."""
    return [{**row, "_period": month, "_batch_id": f"batch-{month:%Y-%m}"} for row in rows]


RAW_ROWS = {
    "customers": landed(FEBRUARY, [customer_row("c1"), customer_row("c2")]),
    "orders": [
        *landed(FEBRUARY, [order_row("o1", "c1", "2025-02-10 10:00", gross=100)]),
        *landed(
            MARCH,
            [
                order_row("o2", "c1", "2025-03-05 10:00", gross=200),
                order_row("o3", "c2", "2025-03-06 10:00", gross=50),
            ],
        ),
        *landed(APRIL, [order_row("o4", "c2", "2025-04-07 10:00", gross=80)]),
    ],
    "order_items": [
        # February: no cost at all - the column is not provided yet
        *landed(FEBRUARY, [order_item_row("o1", 1, quantity=1, unit_cost=None)]),
        # March: 1 of 3 items without a cost
        *landed(
            MARCH,
            [
                order_item_row("o2", 1, quantity=2, unit_cost=30),
                order_item_row("o2", 2, quantity=1, unit_cost=None),
                order_item_row("o3", 1, quantity=1, unit_cost=10),
            ],
        ),
        # April: fully costed
        *landed(APRIL, [order_item_row("o4", 1, quantity=1, unit_cost=20)]),
    ],
}


@pytest.fixture(
    scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def warehouse(request, tmp_path_factory) -> Iterator[ScratchWarehouse]:
    folder = tmp_path_factory.mktemp(f"kpi_sources_{request.param}")
    with scratch_warehouse(request.param, folder, request) as scratch:
        scratch.insert(RAW_ROWS)
        scratch.log_landed_batch("leads", MARCH, "leads-header-only")
        scratch.build(FEBRUARY, APRIL)
        yield scratch


def company_kpis(warehouse: ScratchWarehouse, month: date) -> dict[str, tuple]:
    """{kpi: (value, numerator, denominator, null_reason)} of the company in `month`."""
    frame = warehouse.query(
        "select kpi, value, numerator, denominator, null_reason from marts.fct_kpi "
        "where period = ? and entity_type = 'company'",
        [month],
    )
    frame = frame.astype(object).where(frame.notna(), None)
    return {row[0]: tuple(row[1:]) for row in frame.itertuples(index=False)}


def not_provided(*sources: str) -> tuple:
    return (None, None, None, "source not provided: " + ", ".join(sources))


def test_kpis_of_sources_never_landed_are_null_with_the_reason(warehouse):
    for month in (FEBRUARY, MARCH, APRIL):
        kpis = company_kpis(warehouse, month)
        assert kpis["spend"] == not_provided("ad_spend")
        assert kpis["roas"] == not_provided("ad_spend")
        assert kpis["sessions"] == not_provided("touchpoints")
        assert kpis["conversion_rate"] == not_provided("touchpoints")
        assert kpis["cac_paid"] == not_provided("ad_spend", "touchpoints")
        assert kpis["complaint_rate"] == not_provided("tickets")
        assert kpis["nps"] == not_provided("surveys")
    # what the business has is still computed: revenue of o2 + o3
    assert company_kpis(warehouse, MARCH)["revenue"] == (250, 250, None, None)
    assert company_kpis(warehouse, MARCH)["aov"] == (125, 250, 2, None)


def test_a_table_in_use_with_an_empty_month_counts_zero(warehouse):
    # leads: no file in February (not provided), a header-only file in March; April sent no
    # file, but the table is in use since March: zero, not 'not provided'
    assert company_kpis(warehouse, FEBRUARY)["leads"] == not_provided("leads")
    for month in (MARCH, APRIL):
        kpis = company_kpis(warehouse, month)
        assert kpis["leads"] == (0, 0, None, None)
        assert kpis["win_rate"] == (None, 0, 0, "no leads closed in period")


def test_margin_kpis_need_every_order_item_costed(warehouse):
    february, march, april = (company_kpis(warehouse, m) for m in (FEBRUARY, MARCH, APRIL))
    # February: no unit_cost has landed yet - the column is not provided
    assert february["gross_margin_pct"] == not_provided("order_items.unit_cost")
    assert february["marketing_roi"] == not_provided("ad_spend", "order_items.unit_cost")
    # March: o2's second line has no cost - no margin rather than one counting it as 0
    missing = (None, None, None, "unit_cost missing on 1 of 3 order items")
    assert march["gross_margin_pct"] == missing
    assert march["ltv"] == (None, None, None, "unit_cost missing on 2 of 4 order items")
    # April: fully costed (80 - 20) / 80; the LTV horizon still holds February's and March's
    # uncosted items (of 5 in February to April)
    assert april["gross_margin_pct"] == (0.75, 60, 80, None)
    assert april["ltv"] == (None, None, None, "unit_cost missing on 2 of 5 order items")


def test_a_warehouse_with_no_rows_at_all_gives_no_kpi_values(tmp_path, request):
    with scratch_warehouse("duckdb", tmp_path, request) as empty:
        empty.build(MARCH, MARCH)
        kpis = company_kpis(empty, MARCH)
    assert kpis["revenue"] == not_provided("orders")
    assert kpis["orders"] == not_provided("orders")
    assert kpis["leads"] == not_provided("leads")
    assert all(value is None for value, *_ in kpis.values())
