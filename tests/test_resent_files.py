"""A corrected month file sent again is the month's complete truth: a row it no longer holds is
retracted downstream and a changed row replaces the old one; the next snapshot shows both. Raw
keeps every batch (history); staging reads each month's newest batch. Through Dagster, DuckDB."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.exit_codes import ExitCode
from tests.pipeline_runs import FIRST, generate_small, query, run, scalar

pytestmark = pytest.mark.integration


def rewrite_orders(path: Path) -> tuple[str, str, Decimal]:
    """Drop the first completed order and raise the next one's amount; returns their ids and the
    new amount."""
    with path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    completed = [row for row in rows if row["status"] == "completed"]
    removed, changed = completed[0], completed[1]
    changed["gross_amount"] = str(Decimal(changed["gross_amount"]) + 1000)
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(row for row in rows if row is not removed)
    return removed["order_id"], changed["order_id"], Decimal(changed["gross_amount"])


def company_revenue() -> float:
    return float(
        scalar(
            "select value from scorecard.current_kpi_scores "
            "where entity_type = 'company' and kpi = 'revenue' and period = ?",
            [FIRST],
        )
    )


def test_a_corrected_file_retracts_a_removed_row_and_replaces_a_changed_one(isolated_env):
    generate_small(isolated_env / "landing", last=FIRST)
    assert run(FIRST, FIRST).exit_code is ExitCode.PUBLISHED
    revenue_before = company_revenue()
    removed, changed, amount = rewrite_orders(isolated_env / "landing" / "orders" / "2025-01.csv")

    assert run(FIRST, FIRST).exit_code is ExitCode.PUBLISHED

    staged = query("select order_id, gross_amount from staging.stg_commerce__orders")
    assert removed not in set(staged["order_id"])
    assert Decimal(str(staged.set_index("order_id").loc[changed, "gross_amount"])) == amount
    assert scalar("select count(*) from raw.orders where order_id = ?", [removed]) >= 1  # history
    assert (
        scalar(
            "select count(*) from marts.fct_attribution where conversion_id = ?",
            [f"order:{removed}"],
        )
        == 0
    )
    assert scalar("select count(*) from scorecard.snapshots") == 2
    assert company_revenue() != revenue_before
