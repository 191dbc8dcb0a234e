"""The warehouse layout is versioned: applied once per code version, and a warehouse laid out by
older code gets the contract's missing columns and wider decimals without losing a row. Both
targets (a DuckDB file, a database of its own on the local PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import psycopg2
import pytest

from pipelines.extract.contract import DECIMAL_PRECISION, DECIMAL_SCALE, load_contract
from pipelines.settings import get_settings
from pipelines.warehouse import Warehouse, connect
from pipelines.warehouse.schema import ensure_layout, layout_hash, migrate
from tests.conftest import PG_ADMIN_URL, fresh_database


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request, isolated_env, monkeypatch) -> Iterator[Warehouse]:
    if request.param == "duckdb":
        with connect(get_settings()) as duckdb_warehouse:
            yield duckdb_warehouse
        return
    admin = psycopg2.connect(PG_ADMIN_URL, connect_timeout=3)
    try:
        with fresh_database("scorecard_layout", admin) as url:
            monkeypatch.setenv("SCORECARD_TARGET", "postgres")
            monkeypatch.setenv("SCORECARD_PG_URL", url)
            with connect(get_settings()) as postgres_warehouse:
                yield postgres_warehouse
    finally:
        admin.close()


def test_a_layout_version_is_applied_once(warehouse):
    assert migrate(warehouse) is True
    assert migrate(warehouse) is False
    ensure_layout(warehouse)
    assert warehouse.rows("select layout_hash from quality.layout_versions") == [(layout_hash(),)]


def test_older_raw_tables_get_missing_columns_and_wider_decimals(warehouse):
    warehouse.execute("create schema raw")
    warehouse.execute("create schema staging")
    warehouse.execute(
        "create table raw.orders (order_id varchar, gross_amount decimal(10,2), "
        "_batch_id varchar, _source varchar, _period date, _loaded_at timestamp)"
    )
    warehouse.execute(
        "insert into raw.orders values ('o1', 12.34, 'b1', 'file', date '2025-01-01', null)"
    )
    # dbt's staging views read raw: PostgreSQL refuses a column type change under a view.
    warehouse.execute("create view staging.orders_seen as select gross_amount from raw.orders")

    assert migrate(warehouse) is True

    columns = {
        row.column_name: row
        for row in warehouse.rows(
            "select column_name, numeric_precision, numeric_scale from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'orders'"
        )
    }
    assert set(load_contract().table("orders").column_names) <= set(columns)
    assert (columns["gross_amount"].numeric_precision, columns["gross_amount"].numeric_scale) == (
        DECIMAL_PRECISION,
        DECIMAL_SCALE,
    )
    rows = warehouse.rows("select order_id, gross_amount, discount_amount from raw.orders")
    assert [(row.order_id, Decimal(row.gross_amount), row.discount_amount) for row in rows] == [
        ("o1", Decimal("12.34"), None)
    ]


def test_a_dropped_schema_is_laid_out_again(warehouse):
    ensure_layout(warehouse)
    warehouse.execute("drop schema raw cascade")
    ensure_layout(warehouse)
    assert warehouse.rows("select count(*) as n from raw.orders") == [(0,)]
