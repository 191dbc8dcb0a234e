"""The marts' dbt tests catch broken data: grain, references to the dims, accepted values, NaN and
infinity, KPI shares outside 0..1, and reconciliation with staging to the cent.

Per warehouse (DuckDB; PostgreSQL when reachable): one `dbt build` of March 2025 on a tiny
hand-made dataset, after which every test of the marts passes; then the marts are broken on
purpose, one defect per test family, and `dbt test` must fail exactly the tests that guard them,
whose compiled queries find the offending rows again, as the pipeline reads them. The model
contracts are shown to hold on both warehouses and to stop a build whose column type drifts."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from assets.dbt_project import MANIFEST_PATH
from pipelines.exit_codes import ExitCode
from tests.dbt_fixtures import (
    DBT_PROJECT_DIR,
    DbtRunError,
    ScratchWarehouse,
    ad_spend_row,
    customer_row,
    lead_row,
    manual_kpi_row,
    order_item_row,
    order_row,
    refund_row,
    scratch_warehouse,
    touch_row,
)
from tests.pipeline_runs import FIRST, generate_small, query, run

MARCH = date(2025, 3, 1)

RAW_ROWS = {
    "teams": [{"team_id": "team_sales", "team_name": "Sales", "stage": "mature"}],
    "reps": [
        {"rep_id": "r1", "rep_name": "Ann", "team_id": "team_sales", "hired_at": date(2023, 1, 1)},
        {"rep_id": "r2", "rep_name": "Bob", "team_id": "team_sales", "hired_at": date(2024, 1, 1)},
    ],
    "customers": [
        customer_row("c1", owner_rep_id="r1"),
        customer_row("c2", owner_rep_id="r2"),
        customer_row("c3", owner_rep_id="r1"),
    ],
    "orders": [
        order_row("o1", "c1", "2025-03-05 10:00", gross=200, discount=20),  # - refund 30.05
        order_row("o2", "c2", "2025-03-10 10:00", gross=100.25),
        order_row("o3", "c3", "2025-03-12 10:00", gross=80, status="cancelled"),
        order_row("o4", "c3", "2025-03-20 10:00", gross=60.10),  # no touch: direct
    ],
    "order_items": [
        order_item_row("o1", 1, quantity=1, unit_cost=50),
        order_item_row("o2", 1, quantity=1, unit_cost=40),
        order_item_row("o4", 1, quantity=1, unit_cost=20),
    ],
    "refunds": [refund_row("f1", "o1", "2025-03-25 10:00", amount=30.05)],
    "touchpoints": [
        touch_row("t1", "v1", "2025-03-01 10:00", "paid_search", "cmp_a", customer_id="c1"),
        touch_row("t2", "v1", "2025-03-03 10:00", "email", customer_id="c1"),
        touch_row("t3", "v2", "2025-03-09 10:00", "paid_search", "cmp_a", customer_id="c2"),
        # visitors who did not convert: conversion rates stay below 1
        touch_row("t4", "v3", "2025-03-11 10:00", "paid_search", "cmp_b", touch_type="visit"),
        touch_row("t5", "v4", "2025-03-12 10:00", "email", touch_type="visit"),
    ],
    "ad_spend": [
        ad_spend_row("2025-03-01", "paid_search", "cmp_a", 120.55, impressions=1000, clicks=50),
        ad_spend_row("2025-03-15", "paid_search", "cmp_b", 80.10, impressions=400, clicks=8),
    ],
    "leads": [
        lead_row(
            "l1",
            "2025-03-02 10:00",
            "paid_search",
            campaign_id="cmp_a",
            rep_id="r1",
            mql_at="2025-03-04 10:00",
            sql_at="2025-03-06 10:00",
            status="won",
            closed_at="2025-03-22 10:00",
            deal_value=5000.5,
        ),
        lead_row(
            "l2",
            "2025-03-03 10:00",
            "email",
            rep_id="r2",
            mql_at="2025-03-05 10:00",
            status="lost",
            closed_at="2025-03-25 10:00",
        ),
        lead_row("l3", "2025-03-10 10:00", "paid_search", campaign_id="cmp_b", rep_id="r2"),
    ],
    "manual_kpis": [
        manual_kpi_row("2025-03", "rep", "r1", "training_completion", 0.8),
        manual_kpi_row("2025-03", "rep", "r1", "compliance_rate", 0.95),
    ],
}

# One defect per test family, each touching only what its test guards.
DEFECTS = [
    # grain: a second row for a month, channel, campaign and model (with nothing to add up)
    "insert into marts.fct_channel_performance "
    "select period, channel, campaign_id, model, 0, 0, 0, 0, 0, 0, 0, 0, null, null "
    "from marts.fct_channel_performance where campaign_id = 'cmp_a' and model = 'linear'",
    # references: a touch on a channel dim_channel does not know, a rep dim_rep does not know
    "update marts.fct_attribution set channel = 'carrier_pigeon' "
    "where conversion_id = 'order:o2' and model = 'first_touch'",
    "update marts.fct_kpi set entity_id = 'r404' where entity_id = 'r2' and kpi = 'orders'",
    # accepted values
    "update marts.fct_kpi set unit = 'percent' where entity_type = 'company' and kpi = 'ctr'",
    # NaN and infinity
    "update marts.fct_channel_performance set roas = cast('NaN' as double precision) "
    "where campaign_id = 'cmp_b' and model = 'markov'",
    "update marts.fct_kpi set value = cast('Infinity' as double precision) "
    "where entity_type = 'company' and kpi = 'aov'",
    # KPI sanity: a share above 1 (blocks), a click-through rate above 1 (warns)
    "update marts.fct_kpi set value = 1.5 where entity_id = 'r1' and kpi = 'win_rate'",
    "update marts.fct_kpi set value = 1.2 where entity_id = 'cmp_a' and kpi = 'ctr'",
    # reconciliation: one cent off
    "update marts.fct_kpi set numerator = numerator + 0.01 "
    "where entity_type = 'company' and kpi = 'revenue'",
    "update marts.fct_attribution set credited_revenue = credited_revenue - 0.01 "
    "where conversion_id = 'order:o2' and model = 'linear'",
    "update marts.fct_channel_performance set spend = spend + 0.01 "
    "where campaign_id = 'cmp_a' and model = 'shapley'",
    # a credited touch that is no touch of the conversion's window (an unknown touch id)
    "update marts.fct_attribution set touchpoint_id = 'tp_404' "
    "where conversion_id = 'order:o2' and model = 'last_touch' and touch_position = path_length",
    # data-driven credit moved between two channels of one conversion: it still sums to 1 and
    # the month's revenue still reconciles, but the channels no longer add up to the model's
    "update marts.fct_attribution set channel = 'email' "
    "where conversion_id = 'order:o1' and model = 'markov' and channel = 'paid_search'",
]
BROKEN_MARTS = ["fct_attribution", "fct_channel_performance", "fct_kpi"]

FAILED_BY_DEFECTS = {
    "unique_combination:fct_channel_performance",
    "relationships:fct_attribution.channel->dim_channel",
    "relationships:fct_kpi.entity_id->dim_rep",
    "accepted_values:fct_kpi.unit",
    "finite_values:fct_channel_performance",
    "finite_values:fct_kpi",
    "assert_kpi_shares_between_zero_and_one",
    "assert_company_kpis_reconcile_with_staging",
    "assert_attribution_reconciles_with_staging",
    "assert_channel_performance_reconciles_with_staging",
    # the older reconciliation with the intermediate conversions sees the same cent
    "assert_attribution_revenue_reconciles",
    "assert_data_driven_credit_reconciles_per_channel",
    "assert_attribution_touches_inside_window",
}
# Structural on this data (whole one-channel conversions), so it warns on good data too.
GAP_WARNING = {"assert_data_driven_allocation_meets_model_results"}
WARNED_BY_DEFECTS = {"assert_kpi_funnel_rates_at_most_one"} | GAP_WARNING

CONTRACTED_MARTS = {
    "fct_attribution",
    "fct_channel_performance",
    "fct_kpi",
    "dim_channel",
    "dim_campaign",
    "dim_customer",
    "dim_period",
    "dim_rep",
    "dim_team",
}
# information_schema's names (DuckDB, PostgreSQL) of the contracts' types
WAREHOUSE_TYPE_NAMES = {
    "double": "double precision",
    "character varying": "varchar",
    "timestamp without time zone": "timestamp",
}


@pytest.fixture(
    scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def warehouse(request, tmp_path_factory) -> Iterator[ScratchWarehouse]:
    folder = tmp_path_factory.mktemp(f"mart_checks_{request.param}")
    with scratch_warehouse(request.param, folder, request) as scratch:
        scratch.insert(RAW_ROWS)
        scratch.build(MARCH, MARCH)
        yield scratch


def run_mart_tests(warehouse: ScratchWarehouse) -> dict[str, str]:
    """`dbt test` of the marts (their tests and the singular tests reading them, not dbt's unit
    tests, which tests/test_dbt_unit_tests.py runs): each status."""
    warehouse.dbt(
        "test",
        "--select",
        "path:models/marts",
        "--exclude-resource-type",
        "unit_test",
        first=MARCH,
        last=MARCH,
    )
    return warehouse.dbt_test_statuses()


@contextmanager
def broken(warehouse: ScratchWarehouse) -> Iterator[None]:
    """The DEFECTS applied to the marts, which are restored afterwards."""
    warehouse.execute(
        "create schema if not exists pristine",
        *(f"create table pristine.{mart} as select * from marts.{mart}" for mart in BROKEN_MARTS),
        *DEFECTS,
    )
    try:
        yield
    finally:
        warehouse.execute(
            *(f"delete from marts.{mart}" for mart in BROKEN_MARTS),
            *(f"insert into marts.{mart} select * from pristine.{mart}" for mart in BROKEN_MARTS),
            *(f"drop table pristine.{mart}" for mart in BROKEN_MARTS),
        )


def test_every_mart_check_passes_on_good_data_and_the_allocation_gap_is_reported(warehouse):
    """March orders under Markov: paths 'paid_search > email' (o1), 'paid_search' (o2, and v3
    without order), 'direct' (o4), 'email' (v4 without order). start -> paid_search 3/5, direct
    1/5, email 1/5; paid_search -> email, conversion, null 1/3 each; email -> conversion 1/2;
    direct -> conversion. P = 3/5; removal effects paid_search 1/2, email 1/3, direct 1/3:
    results 3 x (3/7, 2/7, 2/7) = 9/7, 6/7, 6/7. o2 and o4 are whole conversions of paid_search
    and direct, so o1 gives paid_search 1/5 (9 (1 - x) = 6 (1 + x), see
    tests/test_attribution_allocation.py): allocated 6/5, 4/5, 1; gaps -3/35, -2/35, 5/35."""
    statuses = run_mart_tests(warehouse)
    gaps = warehouse.failing_rows(
        "assert_data_driven_allocation_meets_model_results",
        "conversion_type, model, channel, allocation_gap",
    )

    assert {name for name, status in statuses.items() if status != "pass"} == GAP_WARNING
    assert set(statuses) >= FAILED_BY_DEFECTS | WARNED_BY_DEFECTS
    markov_orders = gaps[(gaps["model"] == "markov") & (gaps["conversion_type"] == "order")]
    assert dict(zip(markov_orders["channel"], markov_orders["allocation_gap"], strict=True)) == (
        pytest.approx({"paid_search": -3 / 35, "email": -2 / 35, "direct": 5 / 35}, abs=1e-9)
    )
    # allocating moves conversions between channels: per type and model the gaps cancel out
    assert gaps.groupby(["conversion_type", "model"])["allocation_gap"].sum().abs().max() < 1e-9


def test_a_run_tests_only_its_months_of_the_incremental_marts(warehouse):
    """A February row duplicated in fct_kpi breaks its grain, but not March's: a March run's
    tests do not read it (macros/test_scope.sql), a February run's do."""
    february = "2025-02-01"
    warehouse.execute(
        "create temporary table copied as select * from marts.fct_kpi "
        "where entity_type = 'company' and kpi = 'revenue'",
        f"update copied set period = '{february}'",
        "insert into marts.fct_kpi select * from copied",
        "insert into marts.fct_kpi select * from copied",
        "drop table copied",
    )
    try:
        march = run_mart_tests(warehouse)
        with pytest.raises(DbtRunError):
            warehouse.dbt(
                "test", "--select", "fct_kpi", first=date(2025, 2, 1), last=date(2025, 2, 1)
            )
        february_statuses = warehouse.dbt_test_statuses()
    finally:
        warehouse.execute(f"delete from marts.fct_kpi where period = '{february}'")

    grain = "unique_combination:fct_kpi"
    assert march[grain] == "pass"
    assert february_statuses[grain] == "fail"


def test_each_defect_fails_exactly_its_tests_which_find_the_broken_rows(warehouse):
    with broken(warehouse):
        with pytest.raises(DbtRunError):
            run_mart_tests(warehouse)
        statuses = warehouse.dbt_test_statuses()
        shares = warehouse.failing_rows(
            "assert_kpi_shares_between_zero_and_one", "entity_id, kpi, value"
        )
        company = warehouse.failing_rows(
            "assert_company_kpis_reconcile_with_staging", "period, staging_revenue, mart_revenue"
        )
        attribution = warehouse.failing_rows(
            "assert_attribution_reconciles_with_staging",
            "model, staging_revenue - mart_revenue as difference",
        )
        channels = warehouse.failing_rows(
            "assert_data_driven_credit_reconciles_per_channel",
            "model, channel, credit - allocated_conversions as difference",
        )

    assert {name for name, status in statuses.items() if status == "fail"} == FAILED_BY_DEFECTS
    assert {name for name, status in statuses.items() if status == "warn"} == WARNED_BY_DEFECTS
    assert shares.to_dict("records") == [{"entity_id": "r1", "kpi": "win_rate", "value": 1.5}]
    # revenue: 200 - 20 - 30.05 + 100.25 + 60.10 (o3 is cancelled)
    assert pd.to_datetime(company["period"]).dt.date.tolist() == [MARCH]
    assert company["staging_revenue"].tolist() == pytest.approx([310.30])
    assert company["mart_revenue"].tolist() == pytest.approx([310.31])
    assert attribution["model"].tolist() == ["linear"]
    assert attribution["difference"].tolist() == pytest.approx([0.01])
    # o1's paid_search credit under Markov (t1) went to email
    moved = channels.set_index("channel")["difference"]
    assert set(channels["model"]) == {"markov"}
    assert moved["email"] == pytest.approx(-moved["paid_search"]) and moved["email"] > 0


def test_the_bi_marts_have_the_column_types_of_their_contracts(warehouse):
    manifest = json.loads(MANIFEST_PATH.read_text())
    contracted = {
        node["name"]: {name: column["data_type"] for name, column in node["columns"].items()}
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["contract"]["enforced"]
    }
    columns = warehouse.query(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'marts'"
    )
    built: dict[str, dict[str, str]] = {}
    for row in columns.itertuples():
        if row.table_name in contracted:
            type_name = row.data_type.lower()
            built.setdefault(row.table_name, {})[row.column_name] = WAREHOUSE_TYPE_NAMES.get(
                type_name, type_name
            )

    assert set(contracted) == CONTRACTED_MARTS
    assert built == contracted


def test_a_column_type_drifting_from_the_contract_stops_the_build(
    warehouse: ScratchWarehouse, tmp_path: Path
):
    """A copy of the project whose dim_channel makes `is_paid` text: dbt refuses to build it."""
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    model = project / "models" / "marts" / "dim_channel.sql"
    drift = model.read_text().replace("is_paid\n", "cast(is_paid as varchar) as is_paid\n")
    model.write_text(drift)
    drifted = replace(warehouse, folder=tmp_path)

    with pytest.raises(DbtRunError, match="(?s)contract.*is_paid"):
        drifted.dbt("run", "--select", "dim_channel", first=MARCH, last=MARCH, project_dir=project)


@pytest.mark.integration
def test_a_run_records_each_dbt_test_at_its_severity_with_its_failing_rows(isolated_env: Path):
    """Through Dagster: a compliance rate entered as 1.5 blocks the period, click-throughs above
    1 only warn; both verdicts carry the failing rows dbt stored."""
    landing = isolated_env / "landing"
    generate_small(landing, last=FIRST)
    manual = pd.read_csv(landing / "manual_kpis" / "2025-01.csv")
    entered = manual.index[manual["kpi"] == "compliance_rate"][0]
    manual.loc[entered, "value"] = 1.5
    manual.to_csv(landing / "manual_kpis" / "2025-01.csv", index=False)
    spend = pd.read_csv(landing / "ad_spend" / "2025-01.csv")
    campaign = spend["campaign_id"] == spend["campaign_id"].iloc[0]
    spend.loc[campaign, "clicks"] = spend.loc[campaign, "impressions"] * 2
    spend.to_csv(landing / "ad_spend" / "2025-01.csv", index=False)

    outcome = run(FIRST, FIRST)
    verdicts = query(
        "select check_name, severity, passed, details from quality.check_results "
        "where run_id = ? and asset = 'marts.fct_kpi'",
        [outcome.run_id],
    ).set_index("check_name")

    assert outcome.exit_code is ExitCode.CHECK_FAILED
    shares = verdicts.loc["assert_kpi_shares_between_zero_and_one"]
    assert (shares.severity, bool(shares.passed)) == ("blocking", False)
    assert [(row["entity_id"], row["kpi"], row["value"]) for row in sample(shares.details)] == [
        (manual.loc[entered, "entity_id"], "compliance_rate", 1.5)
    ]
    funnel = verdicts.loc["assert_kpi_funnel_rates_at_most_one"]
    assert (funnel.severity, bool(funnel.passed)) == ("warning", False)
    assert {row["kpi"] for row in sample(funnel.details)} == {"ctr"}
    assert all(row["value"] == pytest.approx(2) for row in sample(funnel.details))
    passed = verdicts.loc["unique_combination_fct_kpi_period__entity_type__entity_id__kpi"]
    assert (passed.severity, bool(passed.passed), passed.details) == ("blocking", True, "{}")


def sample(details: str) -> list[dict]:
    return json.loads(details)["failing_rows_sample"]
