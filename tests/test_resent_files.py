"""A corrected month file sent again is the month's complete truth: a row it no longer holds is
retracted downstream and a changed row replaces the old one; the next snapshot shows both. Raw
keeps every batch (history); staging reads each month's newest batch. Through Dagster, DuckDB."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from pipelines.config import load_pipeline_config
from pipelines.exit_codes import ExitCode
from pipelines.extract.contract import load_contract
from pipelines.extract.landing import LandingRules, land_table
from pipelines.settings import get_settings
from pipelines.warehouse import connect
from tests.pipeline_runs import FIRST, SECOND, generate_small, query, run, scalar

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


def test_touchpoints_are_staged_by_month_and_a_month_resent_without_its_run_is_restaged(
    isolated_env,
):
    """stg_marketing__touchpoints is a table built by month: a run rebuilds its own months, leaves
    the others as they were, and also rebuilds a month whose newest batch landed without a dbt
    run (here: January's corrected file landed alone, as by a run that stopped after landing),
    so February's lookback reads January's corrected touches."""
    generate_small(isolated_env / "landing", last=SECOND)
    assert run(FIRST, SECOND).exit_code is ExitCode.PUBLISHED
    staged_before = query(
        "select period, count(*) as touches from staging.stg_marketing__touchpoints group by 1"
    ).set_index("period")["touches"]

    january = isolated_env / "landing" / "touchpoints" / "2025-01.csv"
    with january.open(newline="") as file:
        rows = list(csv.DictReader(file))
    kept = rows[: len(rows) // 2]
    with january.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    settings = get_settings()
    table = load_contract().tables["touchpoints"]
    with connect(settings) as warehouse:
        land_table(
            warehouse,
            settings.landing,
            table,
            [FIRST],
            LandingRules.configured(load_pipeline_config(), settings.currency),
        )

    assert run(SECOND, SECOND).exit_code is ExitCode.PUBLISHED
    staged = query(
        "select period, count(*) as touches, count(distinct batch_id) as batches "
        "from staging.stg_marketing__touchpoints group by 1 order by 1"
    ).set_index("period")
    january_touches = int(staged.loc[pd.Timestamp(FIRST), "touches"])
    assert january_touches == len(kept) < staged_before.loc[pd.Timestamp(FIRST)]
    assert staged.loc[pd.Timestamp(SECOND), "touches"] == staged_before.loc[pd.Timestamp(SECOND)]
    assert set(staged["batches"]) == {1}  # one batch per month: the newest
    # What is derived by month from the touches was derived again for the re-sent January: it
    # equals the same aggregate of the staged touches.
    for model, required, aggregate in (
        (
            "int_visitor_sightings_by_month",
            "customer_id",
            "visitor_id, customer_id, min(occurred_at) as first_seen_at",
        ),
        (
            "int_campaign_touches_by_month",
            "campaign_id",
            "campaign_id, channel, max(occurred_at) as last_touched_at",
        ),
    ):
        expected = (
            f"select period, {aggregate} from staging.stg_marketing__touchpoints "
            f"where {required} is not null group by all order by all"
        )
        derived = query(f"select * from intermediate.{model} order by all")
        pd.testing.assert_frame_equal(derived, query(expected))
    removed = {row["touchpoint_id"] for row in rows[len(rows) // 2 :]}
    credited = set(
        query(
            "select distinct touchpoint_id from marts.fct_attribution where period = ?", [SECOND]
        )["touchpoint_id"]
    )
    assert not credited & removed
