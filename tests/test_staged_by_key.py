"""Staging tables of tables keyed across months (orders, order items, refunds, customers) are
built in place by key (macro staged_by_key): a run restages only the keys of its months, and
the result equals a full rebuild in every case a corrected or late file brings. Real dbt runs on
DuckDB and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pandas as pd
import pytest

from tests.dbt_fixtures import ScratchWarehouse, order_row, scratch_warehouse

JANUARY, FEBRUARY, MARCH = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)


def batch(month: date, name: str, loaded_at: str, rows: list[dict]) -> list[dict]:
    """`rows` as one landed file of `month`."""
    stamp = datetime.fromisoformat(loaded_at)
    return [{**row, "_period": month, "_batch_id": name, "_loaded_at": stamp} for row in rows]


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request, tmp_path) -> Iterator[ScratchWarehouse]:
    with scratch_warehouse(request.param, tmp_path, request) as scratch:
        yield scratch


def staged_orders(warehouse: ScratchWarehouse) -> dict[str, tuple]:
    """{order_id: (gross_amount, landed_period, batch_id)} of stg_commerce__orders."""
    frame = warehouse.query(
        "select order_id, gross_amount, landed_period, batch_id from staging.stg_commerce__orders"
    )
    return {
        row.order_id: (
            float(row.gross_amount),
            pd.Timestamp(row.landed_period).date(),
            row.batch_id,
        )
        for row in frame.itertuples(index=False)
    }


def stage(warehouse: ScratchWarehouse, month: date) -> None:
    warehouse.dbt("run", "--select", "stg_commerce__orders", first=month, last=month)


def test_a_run_restages_the_keys_its_months_and_corrected_files_touch(warehouse):
    warehouse.insert(
        {
            "orders": [
                *batch(JANUARY, "jan-1", "2025-02-01 06:00", [
                    order_row("o1", "c1", "2025-01-10 10:00", gross=100),
                    order_row("o2", "c1", "2025-01-11 10:00", gross=200),
                    order_row("o3", "c2", "2025-01-12 10:00", gross=300),
                ]),
                # February's file updates o2 (a later month wins) and adds o4
                *batch(FEBRUARY, "feb-1", "2025-03-01 06:00", [
                    order_row("o2", "c1", "2025-01-11 10:00", gross=210),
                    order_row("o4", "c2", "2025-02-03 10:00", gross=400),
                ]),
            ]
        }
    )  # fmt: skip
    stage(warehouse, JANUARY)  # first build: every month's newest batch
    assert staged_orders(warehouse) == {
        "o1": (100, JANUARY, "jan-1"),
        "o2": (210, FEBRUARY, "feb-1"),
        "o3": (300, JANUARY, "jan-1"),
        "o4": (400, FEBRUARY, "feb-1"),
    }

    # A corrected February file drops o2 and o4 (January's o2 comes back, o4 is retracted) and
    # updates o3; a corrected January file, landed without its run, drops o1. March is new.
    warehouse.insert(
        {
            "orders": [
                *batch(FEBRUARY, "feb-2", "2025-03-02 06:00", [
                    order_row("o3", "c2", "2025-01-12 10:00", gross=310),
                ]),
                *batch(JANUARY, "jan-2", "2025-03-02 07:00", [
                    order_row("o2", "c1", "2025-01-11 10:00", gross=200),
                    order_row("o3", "c2", "2025-01-12 10:00", gross=300),
                ]),
                *batch(MARCH, "mar-1", "2025-04-01 06:00", [
                    order_row("o5", "c3", "2025-03-04 10:00", gross=500),
                ]),
            ]
        }
    )  # fmt: skip
    stage(warehouse, MARCH)
    expected = {
        "o2": (200, JANUARY, "jan-2"),
        "o3": (310, FEBRUARY, "feb-2"),
        "o5": (500, MARCH, "mar-1"),
    }
    assert staged_orders(warehouse) == expected

    # Nothing new: a run of March restages March's keys only, to the same result; a full
    # rebuild agrees.
    stage(warehouse, MARCH)
    assert staged_orders(warehouse) == expected
    warehouse.dbt(
        "run", "--select", "stg_commerce__orders", "--full-refresh", first=MARCH, last=MARCH
    )
    assert staged_orders(warehouse) == expected


def test_a_month_whose_every_key_a_later_month_supersedes_is_not_restaged_again(warehouse):
    warehouse.insert(
        {
            "orders": [
                *batch(JANUARY, "jan-1", "2025-02-01 06:00", [
                    order_row("o1", "c1", "2025-01-10 10:00", gross=100),
                ]),
                *batch(FEBRUARY, "feb-1", "2025-03-01 06:00", [
                    order_row("o1", "c1", "2025-01-10 10:00", gross=90),
                ]),
            ]
        }
    )  # fmt: skip
    stage(warehouse, FEBRUARY)
    stage(warehouse, FEBRUARY)
    staged = warehouse.query(
        "select model, batch_id from staging.staged_batches order by batch_id"
    ).itertuples(index=False)
    assert [tuple(row) for row in staged] == [
        ("stg_commerce__orders", "feb-1"),
        ("stg_commerce__orders", "jan-1"),
    ]
    assert staged_orders(warehouse) == {"o1": (90, FEBRUARY, "feb-1")}
