"""Amounts keep their precision end to end: a run whose orders carry 6 decimals (gross) and 9
(discount) lands them exactly and credits exactly their revenue under every model.

Demo data with the orders' amounts given extra decimals by DuckDB, one run through Dagster on a
DuckDB warehouse; the expected revenue is computed here with Python's Decimal from the landed
rows, which are first compared with the files digit for digit."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.config import ATTRIBUTION_MODELS
from pipelines.exit_codes import ExitCode
from pipelines.periods import month_label
from pipelines.settings import get_settings
from pipelines.warehouse import connect
from tests.pipeline_runs import SECOND, THIRD, generate_small, run

pytestmark = pytest.mark.integration


def with_extra_decimals(orders_file: Path) -> None:
    """Rewrite the file: gross + 0.000001..0.999999, discount + 0.000000001..0.000999999."""
    with duckdb.connect() as scratch:
        scratch.execute(
            f"""
            create table orders as
            select * replace (
                cast(
                    cast(gross_amount as decimal(38,6))
                        + cast(1 + hash(order_id, 'g') % 999999 as decimal(38,6)) * 0.000001
                    as decimal(38,6)
                ) as gross_amount,
                cast(
                    cast(discount_amount as decimal(38,9))
                        + cast(1 + hash(order_id, 'd') % 999999 as decimal(38,9)) * 0.000000001
                    as decimal(38,9)
                ) as discount_amount
            )
            from read_csv('{orders_file}', all_varchar = true)
            """
        )
        scratch.execute(f"copy orders to '{orders_file}' (format csv, header true)")


def file_amounts(landing: Path, months: list[date]) -> dict[str, tuple[Decimal, Decimal]]:
    amounts = {}
    for month in months:
        with open(landing / "orders" / f"{month_label(month)}.csv", newline="") as file:
            for row in csv.DictReader(file):
                amounts[row["order_id"]] = (
                    Decimal(row["gross_amount"]),
                    Decimal(row["discount_amount"]),
                )
    return amounts


@pytest.fixture(scope="module")
def landed(tmp_path_factory) -> dict[str, object]:
    folder: Path = tmp_path_factory.mktemp("amounts")
    landing = folder / "landing"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SCORECARD_TARGET", "duckdb")
        env.setenv("SCORECARD_WAREHOUSE", str(folder / "warehouse.duckdb"))
        env.setenv("SCORECARD_LANDING", str(landing))
        env.setenv("DAGSTER_HOME", str(folder / "dagster_home"))
        env.setenv("SCORECARD_HOME", "")
        generate_small(landing)
        for month in (SECOND, THIRD):
            with_extra_decimals(landing / "orders" / f"{month_label(month)}.csv")
        outcome = run(SECOND, THIRD)
        with connect(get_settings()) as wh:
            yield {
                "outcome": outcome,
                "files": file_amounts(landing, [SECOND, THIRD]),
                "orders": wh.connection.execute(
                    "select order_id, status, date_trunc('month', ordered_at) as period, "
                    "gross_amount, discount_amount from raw.orders"
                ).fetchall(),
                "refunds": wh.connection.execute(
                    "select order_id, amount from raw.refunds"
                ).fetchall(),
                "credited": wh.connection.execute(
                    "select period, model, sum(credited_revenue) from marts.fct_attribution "
                    "where conversion_type = 'order' group by period, model"
                ).fetchall(),
            }


def test_the_run_publishes(landed):
    assert landed["outcome"].exit_code is ExitCode.PUBLISHED, landed["outcome"].problems


def test_landed_amounts_are_the_files_digit_for_digit(landed):
    assert landed["orders"]
    for order_id, _, _, gross, discount in landed["orders"]:
        assert (gross, discount) == landed["files"][order_id], order_id
    # which DECIMAL(18,4) would have rounded
    assert any(gross != gross.quantize(Decimal("0.0001")) for _, _, _, gross, _ in landed["orders"])


def test_credited_revenue_per_model_is_the_orders_revenue_to_1e_9(landed):
    refunds: dict[str, Decimal] = defaultdict(Decimal)
    for order_id, amount in landed["refunds"]:
        refunds[order_id] += amount
    expected: dict[date, Decimal] = defaultdict(Decimal)
    for order_id, status, period, gross, discount in landed["orders"]:
        if status != "cancelled":
            expected[period] += gross - discount - refunds[order_id]
    credited = landed["credited"]
    assert len(credited) == 2 * len(ATTRIBUTION_MODELS)
    for period, model, revenue in credited:
        assert revenue == pytest.approx(float(expected[period]), rel=1e-9), (period, model)
