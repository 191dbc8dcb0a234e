"""The warehouse side of the raw checks on both targets (a DuckDB file, a local PostgreSQL
database): row rules, foreign keys and row-count trends on small hand-made batches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipelines.config import load_pipeline_config
from pipelines.extract.contract import load_contract
from pipelines.quality.landed_rows import LandedPartition
from pipelines.quality.policy import TrendPolicy
from pipelines.quality.raw_suite import validate_landed
from pipelines.quality.referential import check_foreign_keys
from pipelines.quality.row_trend import row_count_trends
from pipelines.quality.suites import ForeignKey
from pipelines.warehouse import Warehouse
from pipelines.warehouse.connection import DuckDBWarehouse, PostgresWarehouse
from pipelines.warehouse.schema import ensure_layout
from tests.test_raw_suite import order

JANUARY, FEBRUARY, MARCH, APRIL = (date(2024, m, 1) for m in (1, 2, 3, 4))
NOW = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request, tmp_path: Path) -> Iterator[Warehouse]:
    if request.param == "duckdb":
        wh: Warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb", "1GB")
    else:
        wh = PostgresWarehouse(request.getfixturevalue("postgres_url"))
        wh.execute("drop schema if exists raw cascade")
    with wh:
        ensure_layout(wh)
        yield wh


def land(
    wh: Warehouse,
    table_name: str,
    rows: list[dict[str, Any]],
    batch: str,
    period: date = JANUARY,
    loaded_at: datetime = datetime(2024, 5, 1),
) -> LandedPartition:
    meta = {"_batch_id": batch, "_source": "test", "_period": period, "_loaded_at": loaded_at}
    columns = [*load_contract().table(table_name).column_names, *meta]
    wh.insert_frame(
        f"raw.{table_name}", pd.DataFrame([{**r, **meta} for r in rows], columns=columns)
    )
    return LandedPartition(batch, period)


def item(order_id: str, line_no: int = 1) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "line_no": line_no,
        "product_id": "p1",
        "quantity": 1,
        "unit_price": 10.0,
        "unit_cost": 4.0,
    }


def test_every_offence_is_found_with_its_rows(warehouse):
    rows = [
        order("o1"),
        order("o2", currency="EUR"),
        order("o3", gross_amount=-1.0),
        order("o4", ordered_at=datetime(2024, 2, 1)),
        order("o4"),
    ]
    result = validate_landed(
        warehouse,
        load_contract().table("orders"),
        [land(warehouse, "orders", rows, "b1")],
        channels=list(load_pipeline_config().channels),
        currencies=["USD"],
        now=NOW,
    )

    assert [(o.label, o.observed) for o in result.failed] == [
        (
            "expect_compound_columns_to_be_unique(order_id, _batch_id)",
            "2 of 5 rows with a duplicated key",
        ),
        (
            "expect_column_values_to_be_between(ordered_at)",
            "1 of 5 rows outside the partition month",
        ),
        ("expect_column_values_to_be_in_set(currency)", "1 of 5 rows outside the allowed values"),
        ("expect_column_values_to_be_between(gross_amount)", "1 of 5 rows below the minimum 0"),
    ]
    assert result.failed[1].sample == [
        {"order_id": "o4", "ordered_at": "2024-02-01 00:00:00", "_batch_id": "b1"}
    ]


def test_a_child_row_is_an_orphan_only_when_no_landed_batch_holds_its_parent(warehouse):
    land(warehouse, "orders", [order("o1")], "orders-jan")
    land(
        warehouse, "orders", [order("o2", ordered_at=datetime(2024, 2, 3))], "orders-feb", FEBRUARY
    )
    items = land(warehouse, "order_items", [item("o1"), item("o2"), item("o9"), item("o9", 2)], "i")
    table = load_contract().table("order_items")

    [outcome] = check_foreign_keys(
        warehouse, table, [ForeignKey(column="order_id", references="orders.order_id")], [items]
    )

    assert (outcome.orphans, outcome.checked, outcome.history_from) == (2, 4, JANUARY)
    assert outcome.sample == [
        {"order_id": "o9", "line_no": 1, "_batch_id": "i"},
        {"order_id": "o9", "line_no": 2, "_batch_id": "i"},
    ]
    assert outcome.judged(JANUARY) and not outcome.judged(date(2023, 12, 1))


def test_row_count_trend_uses_each_months_latest_batch(warehouse):
    def orders(count: int, month: date) -> list[dict[str, Any]]:
        return [order(f"o{month.month}_{i}", ordered_at=month) for i in range(count)]

    table = load_contract().table("orders")
    january = land(warehouse, "orders", orders(10, JANUARY), "jan", JANUARY)
    land(warehouse, "orders", orders(90, FEBRUARY), "feb-first", FEBRUARY, datetime(2024, 3, 1))
    land(warehouse, "orders", orders(20, FEBRUARY), "feb-resent", FEBRUARY, datetime(2024, 3, 2))
    march = land(warehouse, "orders", orders(3, MARCH), "mar", MARCH)
    april = land(warehouse, "orders", orders(30, APRIL), "apr", APRIL)
    policy = TrendPolicy(trailing_periods=2, row_count_factor=3.0)

    trends = row_count_trends(warehouse, table, [january, march, april], policy)

    assert [(t.period, t.rows, t.trailing) for t in trends] == [
        (JANUARY, 10, []),
        (MARCH, 3, [20, 10]),
        (APRIL, 30, [3, 20]),
    ]
    assert [t.within(policy.row_count_factor) for t in trends] == [True, False, True]
    assert trends[0].describe() == "2024-01: 10 rows, no earlier month landed (no history)"
    assert trends[1].describe() == "2024-03: 3 rows vs mean 15 of the 2 months before"
