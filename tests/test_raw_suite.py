"""Raw-table suites on small partitions landed in a real DuckDB file: clean rows pass, every
expectation family catches its offenders and names table, column, expectation and a sample."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipelines.config import ConfigError, load_pipeline_config
from pipelines.extract.contract import load_contract
from pipelines.quality.landed_rows import LandedPartition
from pipelines.quality.outcomes import ExpectationOutcome, SuiteResult
from pipelines.quality.raw_suite import validate_landed
from pipelines.quality.suites import SUITES_FILE, load_suites
from pipelines.warehouse import Warehouse
from pipelines.warehouse.connection import DuckDBWarehouse
from pipelines.warehouse.schema import ensure_layout

CHANNELS = list(load_pipeline_config().channels)
JANUARY = date(2024, 1, 1)
NOW = datetime(2024, 2, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    with DuckDBWarehouse(tmp_path / "warehouse.duckdb", "1GB") as wh:
        ensure_layout(wh)
        yield wh


def land(
    wh: Warehouse, table_name: str, rows: list[dict[str, Any]], batch: str = "b1"
) -> LandedPartition:
    """Insert contract rows as a landed January batch."""
    meta = {"_batch_id": batch, "_source": "test", "_period": JANUARY, "_loaded_at": NOW}
    columns = [*load_contract().table(table_name).column_names, *meta]
    frame = pd.DataFrame([{**row, **meta} for row in rows], columns=columns)
    if rows:
        wh.insert_frame(f"raw.{table_name}", frame)
    return LandedPartition(batch, JANUARY)


def validate(wh: Warehouse, table_name: str, *partitions: LandedPartition) -> SuiteResult:
    table = load_contract().table(table_name)
    return validate_landed(
        wh, table, list(partitions), channels=CHANNELS, currencies=["USD"], now=NOW
    )


def only_failure(result: SuiteResult) -> ExpectationOutcome:
    assert len(result.failed) == 1, result.summary()
    return result.failed[0]


def touchpoint(touchpoint_id: str | None, **changes: Any) -> dict[str, Any]:
    return {
        "touchpoint_id": touchpoint_id,
        "visitor_id": "v1",
        "customer_id": None,
        "occurred_at": datetime(2024, 1, 5, 10, 0),
        "channel": "paid_search",
        "campaign_id": "c1",
        "touch_type": "click",
        **changes,
    }


def order(order_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": "cust1",
        "ordered_at": datetime(2024, 1, 7, 12, 0),
        "status": "completed",
        "currency": "USD",
        "gross_amount": 120.0,
        "discount_amount": 0.0,
        **changes,
    }


def survey(response_id: str, scale: str, score: int) -> dict[str, Any]:
    return {
        "response_id": response_id,
        "customer_id": "cust1",
        "order_id": None,
        "responded_at": datetime(2024, 1, 9),
        "score": score,
        "scale": scale,
    }


def lead(lead_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "created_at": datetime(2023, 11, 20),  # change data: created months before
        "visitor_id": "v1",
        "customer_id": None,
        "origin_channel": "paid_search",
        "campaign_id": None,
        "mql_at": datetime(2023, 12, 1),
        "sql_at": None,
        "rep_id": "r1",
        "status": "open",
        "closed_at": None,
        "deal_value": None,
        **changes,
    }


def target(period: str) -> dict[str, Any]:
    return {
        "period": period,
        "entity_type": "company",
        "entity_id": "company",
        "kpi": "revenue",
        "target_value": 1000.0,
    }


def test_clean_touchpoints_pass_every_expectation(warehouse):
    batch = land(warehouse, "touchpoints", [touchpoint("t1"), touchpoint("t2", customer_id="c")])
    result = validate(warehouse, "touchpoints", batch)

    assert result.success, result.summary()
    assert result.row_count == 2
    assert [o.expectation for o in result.outcomes[:3]] == [
        "expect_table_columns_to_match_set",
        "expect_table_row_count_to_be_between",
        "expect_column_values_to_be_in_type_list",
    ]
    assert result.summary() == "raw.touchpoints passed all 18 expectations on 2 rows."


def test_null_key_is_named(warehouse):
    batch = land(warehouse, "touchpoints", [touchpoint("t1"), touchpoint(None)])
    outcome = only_failure(validate(warehouse, "touchpoints", batch))

    assert (outcome.expectation, outcome.column) == (
        "expect_column_values_to_not_be_null",
        "touchpoint_id",
    )
    assert outcome.observed == "1 of 2 rows null"
    assert outcome.sample == [{"touchpoint_id": None, "_batch_id": "b1"}]


def test_duplicate_key_within_a_batch_is_named_with_the_key_and_its_rows(warehouse):
    batch = land(warehouse, "touchpoints", [touchpoint("t1"), touchpoint("t1"), touchpoint("t2")])
    outcome = only_failure(validate(warehouse, "touchpoints", batch))

    assert (outcome.expectation, outcome.column) == (
        "expect_compound_columns_to_be_unique",
        "touchpoint_id, _batch_id",
    )
    assert outcome.observed == "2 of 3 rows with a duplicated key"
    assert outcome.sample == [{"touchpoint_id": "t1", "_batch_id": "b1", "row_count": 2}]


def test_the_same_key_in_two_batches_is_not_a_duplicate(warehouse):
    first = land(warehouse, "touchpoints", [touchpoint("t1")])
    second = land(warehouse, "touchpoints", [touchpoint("t1")], batch="b2")

    assert validate(warehouse, "touchpoints", first, second).success


def test_values_outside_their_sets_are_named_with_offending_rows(warehouse):
    batch = land(warehouse, "orders", [order("o1", currency="EUR"), order("o2", status="lost")])
    failed = {o.column: o for o in validate(warehouse, "orders", batch).failed}

    assert set(failed) == {"currency", "status"}
    assert failed["currency"].expectation == "expect_column_values_to_be_in_set"
    assert failed["currency"].sample == [{"order_id": "o1", "currency": "EUR", "_batch_id": "b1"}]
    assert failed["status"].observed == "1 of 2 rows outside the allowed values"


def test_negative_amount_is_below_the_minimum(warehouse):
    batch = land(warehouse, "orders", [order("o1", gross_amount=-5.0), order("o2")])
    outcome = only_failure(validate(warehouse, "orders", batch))

    assert (outcome.expectation, outcome.column) == (
        "expect_column_values_to_be_between",
        "gross_amount",
    )
    assert outcome.observed == "1 of 2 rows below the minimum 0"
    assert outcome.sample[0]["gross_amount"] == -5.0


def test_survey_scores_must_lie_within_their_scale(warehouse):
    rows = [
        survey("s1", "nps_0_10", 0),
        survey("s2", "nps_0_10", 10),
        survey("s3", "rating_1_5", 5),
        survey("s4", "nps_0_10", 11),
        survey("s5", "rating_1_5", 0),
        survey("s6", "rating_1_5", 7),
    ]
    failed = validate(warehouse, "surveys", land(warehouse, "surveys", rows)).failed

    assert [(o.column, o.observed) for o in failed] == [
        ("score", "1 of 6 rows outside 0..10 where scale = nps_0_10"),
        ("score", "2 of 6 rows outside 1..5 where scale = rating_1_5"),
    ]
    assert [row["response_id"] for row in failed[1].sample] == ["s5", "s6"]


def test_dates_outside_the_partition_month_are_named(warehouse):
    rows = [order("o1", ordered_at=datetime(2023, 12, 31, 23, 0)), order("o2")]
    outcome = only_failure(validate(warehouse, "orders", land(warehouse, "orders", rows)))

    assert (outcome.column, outcome.observed) == (
        "ordered_at",
        "1 of 2 rows outside the partition month",
    )
    assert outcome.sample[0]["ordered_at"] == "2023-12-31 23:00:00"


def test_change_data_may_carry_earlier_months_but_nothing_after_the_month(warehouse):
    rows = [lead("l1"), lead("l2", status="won", closed_at=datetime(2024, 2, 1, 0, 30))]
    outcome = only_failure(validate(warehouse, "leads", land(warehouse, "leads", rows)))

    assert (outcome.column, outcome.observed) == (
        "closed_at",
        "1 of 2 rows after the partition month",
    )


def test_timestamps_in_the_future_are_named(warehouse):
    late = NOW.replace(tzinfo=None).replace(hour=7)  # in February: after the clock and the month
    failed = validate(
        warehouse, "leads", land(warehouse, "leads", [lead("l1", mql_at=late)])
    ).failed

    assert [o.observed for o in failed] == [
        "1 of 1 row after the partition month",
        "1 of 1 row in the future",
    ]


MARCH_FIRST = "2024-03-01 00:00:00"


def rep(rep_id: str, hired_at: date | None, left_at: date | None = None) -> dict[str, Any]:
    return {
        "rep_id": rep_id,
        "rep_name": rep_id,
        "team_id": "t1",
        "role": None,
        "hired_at": hired_at,
        "left_at": left_at,
    }


def test_reps_are_judged_by_their_own_history_not_the_partition_month(warehouse):
    rows = [
        rep("hired_after_the_month", date(2024, 1, 25)),  # a re-sent list: fine
        rep("no_hire_date", None, date(2023, 6, 30)),
        rep("left_before_hired", date(2023, 5, 1), date(2023, 4, 30)),
        rep("hired_in_the_future", date(2024, 3, 1)),
    ]
    # NOW is 2024-02-01: a hire in March is in the future, one in late January is not.
    result = validate(warehouse, "reps", land(warehouse, "reps", rows))

    assert [(o.expectation, o.column, o.observed, o.sample) for o in result.failed] == [
        (
            "expect_column_values_to_be_between",
            "hired_at",
            "1 of 4 rows in the future",
            [{"rep_id": "hired_in_the_future", "hired_at": MARCH_FIRST, "_batch_id": "b1"}],
        ),
        (
            "expect_column_pair_values_a_to_be_greater_than_b",
            "left_at",
            "1 of 4 rows before hired_at",
            [{"rep_id": "left_before_hired", "left_at": "2023-04-30 00:00:00", "_batch_id": "b1"}],
        ),
    ]


def test_an_order_rule_must_name_dated_columns(tmp_path: Path):
    broken = tmp_path / "suites.yaml"
    broken.write_text(
        SUITES_FILE.read_text().replace("not_before: hired_at", "not_before: rep_name")
    )

    with pytest.raises(ConfigError, match=r"tables.reps.order: 'rep_name' is not a dated column"):
        load_suites(broken)


def test_a_period_is_the_partition_month_or_its_quarter(warehouse):
    rows = [target("2024-01"), target("2024-Q1"), target("2024-02"), target("2023-Q4")]
    outcome = only_failure(validate(warehouse, "targets", land(warehouse, "targets", rows)))

    assert outcome.observed == "2 of 4 rows not the partition's month or quarter"
    assert [row["period"] for row in outcome.sample] == ["2023-Q4", "2024-02"]


def test_a_column_of_the_wrong_type_fails_its_type_expectation(warehouse):
    warehouse.execute("alter table raw.orders alter gross_amount type varchar")
    failed = validate(warehouse, "orders", land(warehouse, "orders", [order("o1")])).failed

    assert (failed[0].expectation, failed[0].column, failed[0].observed) == (
        "expect_column_values_to_be_in_type_list",
        "gross_amount",
        "1 of 1 row sampled of another type",
    )
    assert {o.column for o in failed[1:]} == {"gross_amount"}
    assert all(o.observed.startswith("not evaluated") for o in failed[1:])


def test_a_missing_column_fails_the_column_set_and_its_rules_are_not_evaluated(warehouse):
    warehouse.execute("alter table raw.touchpoints drop column touch_type")
    row = {k: v for k, v in touchpoint("t1").items() if k != "touch_type"}
    meta = {"_batch_id": "b1", "_source": "test", "_period": JANUARY, "_loaded_at": NOW}
    warehouse.insert_frame("raw.touchpoints", pd.DataFrame([{**row, **meta}]))
    result = validate(warehouse, "touchpoints", LandedPartition("b1", JANUARY))

    assert result.failed[0].observed == "missing: touch_type"
    assert {o.column for o in result.failed[1:]} == {"touch_type"}
    assert all(o.observed.startswith("not evaluated") for o in result.failed[1:])


def test_an_empty_month_is_data_and_passes_the_row_count(warehouse):
    orders = validate(warehouse, "orders", land(warehouse, "orders", []))
    budgets = validate(warehouse, "budgets")

    assert orders.success and orders.outcomes[1].observed == "0 rows: every landed file is empty"
    assert budgets.success and budgets.outcomes[0].observed == "no file landed"


def test_failure_details_carry_each_failed_expectation_with_its_sample(warehouse):
    batch = land(warehouse, "orders", [order("o1", currency="EUR")])
    details = validate(warehouse, "orders", batch).failure_details()

    assert details == {
        "failed": [
            {
                "expectation": "expect_column_values_to_be_in_set(currency)",
                "observed": "1 of 1 row outside the allowed values",
                "sample": [{"order_id": "o1", "currency": "EUR", "_batch_id": "b1"}],
            }
        ]
    }


def test_every_dated_contract_column_has_a_window_in_the_suite_file():
    suites = load_suites()
    for table in load_contract().tables.values():
        dated = {c.name for c in table.columns.values() if c.type.value in ("date", "timestamp")}
        assert dated <= set(suites.of(table.name).dates), table.name


def test_a_suite_file_without_a_window_for_a_dated_column_is_rejected(tmp_path: Path):
    broken = tmp_path / "suites.yaml"
    broken.write_text(SUITES_FILE.read_text().replace("\n      ordered_at: in_month", " {}"))

    with pytest.raises(ConfigError, match=r"tables.orders.dates: 'ordered_at' has no window"):
        load_suites(broken)
