"""Anomaly and freshness checks on hand-made monthly figures in a real warehouse: a factor crossed
fails naming the period and values, one not crossed passes, no history passes and says so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from assets.dagster_internals import create_execution_plan
from assets.definitions import defs
from pipelines.extract.contract import load_contract
from pipelines.extract.landing import LandingRules, land_table
from pipelines.quality.anomalies import (
    event_time_column,
    freshness_verdict,
    kpi_movement_verdict,
    volume_verdict,
)
from pipelines.quality.check_results import Severity
from pipelines.quality.policy import FreshnessPolicy, QualityPolicy, TrendPolicy
from pipelines.warehouse import Warehouse
from pipelines.warehouse.connection import DuckDBWarehouse, PostgresWarehouse
from pipelines.warehouse.schema import ensure_layout

POLICY = QualityPolicy(
    checks={"volume_anomaly": "warning", "kpi_movement": "warning", "freshness": "warning"},
    trends=TrendPolicy(trailing_periods=3, volume_factor=2.0, kpi_movement_factor=2.0, kpis=["a"]),
    freshness=FreshnessPolicy(max_lag_days=2, tables=["orders", "ad_spend"]),
)
RULES = LandingRules(channels=["email"], currencies=["USD"], now=datetime(2026, 1, 1, tzinfo=UTC))
ORDERS_HEADER = "order_id,customer_id,ordered_at,status,currency,gross_amount,discount_amount\n"
SPEND_HEADER = "date,channel,campaign_id,campaign_name,impressions,clicks,spend,currency\n"
# Months far from any other test's data: the PostgreSQL database is shared by the session.
JAN, FEB, MAR, APR = (date(2019, month, 1) for month in (1, 2, 3, 4))


@pytest.fixture
def duckdb_warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    with DuckDBWarehouse(tmp_path / "w.duckdb", memory_limit="1GB") as wh:
        ensure_layout(wh)
        yield wh


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    """The same SQL on both engines; the PostgreSQL rows of these months are removed after."""
    if request.param == "duckdb":
        yield request.getfixturevalue("duckdb_warehouse")
        return
    with PostgresWarehouse(request.getfixturevalue("postgres_url")) as wh:
        ensure_layout(wh)
        yield wh
        for table in ("orders", "ad_spend"):
            wh.execute(f"delete from raw.{table} where _period between ? and ?", [JAN, APR])


def land_orders(wh: Warehouse, landing: Path, counts: dict[date, int]) -> None:
    """`count` orders in each month's file, on the 3rd of the month."""
    for month, count in counts.items():
        path = landing / "orders" / f"{month:%Y-%m}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = "".join(
            f"o{month:%Y%m}-{n},c{n},{month:%Y-%m}-03 10:00:00,completed,USD,10,0\n"
            for n in range(count)
        )
        path.write_text(ORDERS_HEADER + rows)
    land_table(wh, str(landing), load_contract().table("orders"), list(counts), RULES)


def test_volume_far_above_the_trailing_mean_is_flagged_with_period_and_values(
    warehouse: Warehouse, tmp_path: Path
):
    land_orders(warehouse, tmp_path, {JAN: 10, FEB: 12, MAR: 8, APR: 41})
    verdict = volume_verdict(warehouse, load_contract().table("orders"), [APR], POLICY)
    assert not verdict.passed
    assert (verdict.asset, verdict.check_name, verdict.severity) == (
        "raw.orders",
        "volume_anomaly",
        Severity.WARNING,
    )
    assert verdict.observed == (
        "2019-04 orders 41 is above mean x 2 (trailing mean 10 of 3 periods)"
    )
    assert verdict.threshold == "between mean / 2 and mean x 2 of the 3 periods before"
    assert verdict.details["flagged"] == [
        {
            "period": "2019-04",
            "series": "orders",
            "value": 41.0,
            "trailing_mean": 10.0,
            "trailing_periods": 3,
        }
    ]


def test_volume_at_the_factor_passes_and_a_re_sent_file_is_not_counted_twice(
    warehouse: Warehouse, tmp_path: Path
):
    land_orders(warehouse, tmp_path, {JAN: 10, FEB: 12, MAR: 8, APR: 20})
    orders = load_contract().table("orders")
    assert volume_verdict(warehouse, orders, [APR], POLICY).passed  # 20 = mean 10 x 2 exactly
    land_orders(warehouse, tmp_path, {APR: 20})  # the same keys again: the latest row per key
    verdict = volume_verdict(warehouse, orders, [APR], POLICY)
    assert verdict.passed
    assert verdict.observed == (
        "1 of 1 values compared, all within a factor 2 of their trailing mean"
    )


def test_volume_far_below_the_trailing_mean_is_flagged(warehouse: Warehouse, tmp_path: Path):
    land_orders(warehouse, tmp_path, {JAN: 10, FEB: 12, MAR: 3})
    verdict = volume_verdict(warehouse, load_contract().table("orders"), [MAR], POLICY)
    assert not verdict.passed
    assert verdict.observed == "2019-03 orders 3 is below mean / 2 (trailing mean 11 of 2 periods)"


def test_no_trailing_history_passes_and_says_so(warehouse: Warehouse, tmp_path: Path):
    land_orders(warehouse, tmp_path, {JAN: 10})
    verdict = volume_verdict(warehouse, load_contract().table("orders"), [JAN], POLICY)
    assert verdict.passed
    assert verdict.observed == (
        "no trailing history: none of the 3 periods before 2019-01 has a value to compare with"
    )


def test_a_range_compares_each_month_with_its_own_trailing_months(
    duckdb_warehouse: Warehouse, tmp_path: Path
):
    land_orders(duckdb_warehouse, tmp_path, {JAN: 10, FEB: 12, MAR: 8, APR: 9})
    verdict = volume_verdict(
        duckdb_warehouse, load_contract().table("orders"), [JAN, FEB, MAR, APR], POLICY
    )
    assert verdict.passed
    assert (
        verdict.observed == "3 of 4 values compared, all within a factor 2 of their trailing mean"
    )
    assert verdict.details == {"flagged": [], "without_history": ["2019-01"]}


def test_spend_is_summed_over_the_latest_row_per_key(duckdb_warehouse: Warehouse, tmp_path: Path):
    for month, spend in ((JAN, "100.00"), (FEB, "100.00"), (MAR, "500.00")):
        path = tmp_path / "ad_spend" / f"{month:%Y-%m}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            SPEND_HEADER
            + f"{month:%Y-%m}-02,email,c1,Camp,10,1,{spend},USD\n"
            + f"{month:%Y-%m}-03,email,c1,Camp,10,1,{spend},USD\n"
        )
    ad_spend = load_contract().table("ad_spend")
    land_table(duckdb_warehouse, str(tmp_path), ad_spend, [JAN, FEB, MAR], RULES)
    verdict = volume_verdict(duckdb_warehouse, ad_spend, [MAR], POLICY)
    assert verdict.observed == (
        "2019-03 spend 1,000 is above mean x 2 (trailing mean 200 of 2 periods)"
    )


def write_kpis(wh: Warehouse, values: dict[tuple[str, date], float | None]) -> None:
    """A hand-made marts.fct_kpi: company values only, the columns the check reads."""
    wh.execute(
        "create table marts.fct_kpi "
        "(period date, entity_type varchar, entity_id varchar, kpi varchar, value double)"
    )
    for (kpi, period), value in values.items():
        wh.execute(
            "insert into marts.fct_kpi values (?, 'company', 'company', ?, ?)",
            [period, kpi, value],
        )
    wh.execute("insert into marts.fct_kpi values (?, 'team', 't1', 'a', 1000)", [APR])


def test_kpi_movement_flags_company_kpis_outside_the_band(duckdb_warehouse: Warehouse):
    policy = POLICY.model_copy(
        update={"trends": TrendPolicy(trailing_periods=3, kpi_movement_factor=1.5, kpis=["a", "b"])}
    )
    write_kpis(
        duckdb_warehouse,
        {
            ("a", JAN): 1.0,
            ("a", FEB): 1.0,
            ("a", MAR): 1.0,
            ("a", APR): 1.4,  # within 1.5 x 1.0
            ("b", FEB): -0.2,
            ("b", MAR): -0.2,
            ("b", APR): -0.5,  # a negative mean: the band is -0.3 .. -0.133
        },
    )
    verdict = kpi_movement_verdict(duckdb_warehouse, [APR], policy)
    assert (verdict.asset, verdict.check_name, verdict.passed) == (
        "marts.fct_kpi",
        "kpi_movement",
        False,
    )
    assert verdict.observed == (
        "2019-04 b -0.5 is below mean / 1.5 (trailing mean -0.2 of 2 periods)"
    )
    assert [p["series"] for p in verdict.details["flagged"]] == ["b"]


def test_kpi_without_a_value_is_not_compared(duckdb_warehouse: Warehouse):
    write_kpis(duckdb_warehouse, {("a", MAR): 1.0, ("a", APR): None})
    verdict = kpi_movement_verdict(duckdb_warehouse, [APR], POLICY)
    assert verdict.passed
    assert (
        verdict.observed == "0 of 1 values compared, all within a factor 2 of their trailing mean"
    )


def test_event_time_is_the_first_non_nullable_date_or_timestamp():
    contract = load_contract()
    assert [
        event_time_column(contract.table(t)) for t in ("touchpoints", "ad_spend", "orders", "leads")
    ] == ["occurred_at", "date", "ordered_at", "created_at"]


@pytest.mark.parametrize(
    ("now", "passed", "observed"),
    [
        (
            datetime(2019, 4, 5, 7, 0, tzinfo=UTC),
            True,
            "newest ordered_at 2019-04-03 10:00:00: 1.9 days old, within the allowed 2 days",
        ),
        (
            datetime(2019, 4, 6, 12, 0, tzinfo=UTC),
            False,
            "newest ordered_at 2019-04-03 10:00:00: 3.1 days old, more than the allowed 2 days",
        ),
        (
            datetime(2019, 5, 2, 0, 0, tzinfo=UTC),
            True,
            "the run does not include the open month 2019-05",
        ),
    ],
)
def test_freshness_of_the_open_month(
    duckdb_warehouse: Warehouse, tmp_path: Path, now: datetime, passed: bool, observed: str
):
    land_orders(duckdb_warehouse, tmp_path, {MAR: 5, APR: 5})
    orders = load_contract().table("orders")
    verdict = freshness_verdict(duckdb_warehouse, orders, [MAR, APR], now, POLICY)
    assert (verdict.check_name, verdict.passed, verdict.observed) == (
        "freshness",
        passed,
        observed,
    )


def test_freshness_counts_a_date_to_the_end_of_its_day_and_an_empty_month_from_its_start(
    duckdb_warehouse: Warehouse, tmp_path: Path
):
    path = tmp_path / "ad_spend" / "2019-04.csv"
    path.parent.mkdir(parents=True)
    path.write_text(SPEND_HEADER + "2019-04-03,email,c1,Camp,10,1,5.00,USD\n")
    ad_spend = load_contract().table("ad_spend")
    land_table(duckdb_warehouse, str(tmp_path), ad_spend, [APR], RULES)
    now = datetime(2019, 4, 6, 0, 0, tzinfo=UTC)
    verdict = freshness_verdict(duckdb_warehouse, ad_spend, [APR], now, POLICY)
    assert verdict.passed and verdict.details["lag_days"] == 2.0
    empty = freshness_verdict(duckdb_warehouse, load_contract().table("orders"), [APR], now, POLICY)
    assert not empty.passed
    assert empty.observed == (
        "no row of 2019-04 landed yet: 5.0 days old, more than the allowed 2 days"
    )


def test_the_checks_sit_on_their_assets_and_run_before_the_snapshot():
    graph = defs.resolve_asset_graph()
    checks = {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys}
    assert {
        ("raw/ad_spend", "volume_anomaly"),
        ("raw/orders", "volume_anomaly"),
        ("raw/leads", "volume_anomaly"),
        ("raw/touchpoints", "freshness"),
        ("marts/fct_kpi", "kpi_movement"),
    } <= checks
    steps = create_execution_plan(defs.resolve_job_def("scorecard_job")).get_all_step_deps()
    assert "raw_trend_checks" in steps["dbt_shared_models"]
    assert "marts__fct_kpi_kpi_movement" in steps["scorecard__snapshot"]
