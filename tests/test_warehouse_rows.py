"""Warehouse.rows(): small results as named tuples. On DuckDB a plain id or a date goes into the
SQL text (binding would import pandas); anything else is bound, so it can never be read as SQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipelines.warehouse.connection import DuckDBWarehouse, WarehouseError


@pytest.fixture
def warehouse(tmp_path: Path):
    with DuckDBWarehouse(tmp_path / "w.duckdb", "1GB") as wh:
        wh.execute("create table t (id varchar, period date)")
        wh.execute("insert into t values ('r1', date '2025-01-01'), ('x'' or ''1''=''1', null)")
        yield wh


def test_plain_ids_and_dates_find_their_rows(warehouse):
    [row] = warehouse.rows(
        "select id, period from t where id = ? and period = ?", ["r1", date(2025, 1, 1)]
    )
    assert (row.id, row.period) == ("r1", date(2025, 1, 1))


@pytest.mark.parametrize("value", ["x' or '1'='1", "r1' --", "a\\b", "two words"])
def test_any_other_text_is_bound_and_matched_literally(warehouse, value):
    found = warehouse.rows("select id from t where id = ?", [value])
    assert [row.id for row in found] == ([value] if value == "x' or '1'='1" else [])


def test_a_memory_limit_that_is_not_a_size_is_refused(tmp_path: Path):
    with pytest.raises(WarehouseError, match="memory limit"):
        DuckDBWarehouse(tmp_path / "w.duckdb", "1GB'; drop table t; --")
