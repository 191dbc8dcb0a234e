"""Contract-derived GX suites: clean partitions pass, every failure class is caught and named."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
import pytest

from pipelines.config import load_pipeline_config
from pipelines.extract.contract import load_contract
from pipelines.quality.raw_suite import ExpectationOutcome, SuiteResult, build_suite, validate_frame

CHANNELS = list(load_pipeline_config().channels)
CURRENCIES = ["USD"]

BATCH = {
    "_batch_id": "batch-1",
    "_source": "landing",
    "_period": date(2024, 1, 1),
    "_loaded_at": datetime(2024, 2, 1, 6, 0),
}


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


def budget(channel: str, campaign_id: str | None, **changes: Any) -> dict[str, Any]:
    return {
        "month": date(2024, 1, 1),
        "channel": channel,
        "campaign_id": campaign_id,
        "budget": 1000.0,
        "currency": "USD",
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


def validate(table_name: str, rows: list[dict[str, Any]]) -> SuiteResult:
    """Validate hand-built contract rows, with batch columns added, as landed in raw."""
    table = load_contract().table(table_name)
    columns = [*table.column_names, *BATCH]
    frame = pd.DataFrame([{**BATCH, **row} for row in rows], columns=columns)
    return validate_frame(table, frame, channels=CHANNELS, currencies=CURRENCIES)


def only_failure(result: SuiteResult) -> ExpectationOutcome:
    failed = [outcome for outcome in result.outcomes if not outcome.success]
    assert len(failed) == 1, result.summary()
    return failed[0]


def test_clean_touchpoints_pass_every_expectation() -> None:
    result = validate("touchpoints", [touchpoint("t1"), touchpoint("t2", customer_id="cust1")])

    assert result.success
    assert result.row_count == 2
    assert all(outcome.success for outcome in result.outcomes)
    assert result.outcomes[0].expectation == "expect_table_columns_to_match_set"
    assert result.summary() == "raw.touchpoints passed all 11 expectations on 2 rows."


def test_clean_budgets_pass_with_null_campaigns_on_different_channels() -> None:
    result = validate("budgets", [budget("paid_search", None), budget("display", None)])

    assert result.success, result.summary()


def test_null_key_is_named() -> None:
    outcome = only_failure(validate("touchpoints", [touchpoint("t1"), touchpoint(None)]))

    assert (outcome.expectation, outcome.column) == (
        "expect_column_values_to_not_be_null",
        "touchpoint_id",
    )
    assert outcome.observed == "1 of 2 rows null"


def test_duplicate_key_within_a_batch_is_named_with_the_key_value() -> None:
    result = validate("touchpoints", [touchpoint("t1"), touchpoint("t1"), touchpoint("t2")])
    outcome = only_failure(result)

    assert (outcome.expectation, outcome.column) == (
        "expect_compound_columns_to_be_unique",
        "touchpoint_id, _batch_id",
    )
    assert outcome.observed == "2 of 3 rows with a duplicated key"
    assert outcome.unexpected_sample == [["t1", "batch-1"]]


def test_the_same_key_in_two_batches_is_not_a_duplicate() -> None:
    rows = [touchpoint("t1"), touchpoint("t1", _batch_id="batch-2")]
    assert validate("touchpoints", rows).success


def test_duplicate_compound_key_counts_a_null_campaign_as_a_value() -> None:
    rows = [budget("paid_search", None), budget("paid_search", None, budget=5.0)]
    outcome = only_failure(validate("budgets", rows))

    assert (outcome.expectation, outcome.column) == (
        "expect_compound_columns_to_be_unique",
        "month, channel, campaign_id, _batch_id",
    )
    assert outcome.observed == "2 of 2 rows with a duplicated key"
    assert outcome.unexpected_sample == [[date(2024, 1, 1), "paid_search", None, "batch-1"]]


def test_values_outside_their_sets_are_named_with_samples() -> None:
    result = validate("orders", [order("o1", currency="EUR"), order("o2", status="lost")])
    failed = {o.column: o for o in result.outcomes if not o.success}

    assert set(failed) == {"currency", "status"}
    assert failed["currency"].expectation == "expect_column_values_to_be_in_set"
    assert failed["currency"].unexpected_sample == ["EUR"]
    assert failed["status"].observed == "1 of 2 rows outside the allowed values"


def test_unknown_channel_is_outside_the_configured_channels() -> None:
    outcome = only_failure(validate("touchpoints", [touchpoint("t1", channel="tiktok")]))

    assert (outcome.column, outcome.unexpected_sample) == ("channel", ["tiktok"])


def test_value_below_minimum_is_named() -> None:
    outcome = only_failure(validate("orders", [order("o1", gross_amount=-5.0), order("o2")]))

    assert (outcome.expectation, outcome.column) == (
        "expect_column_values_to_be_between",
        "gross_amount",
    )
    assert outcome.observed == "1 of 2 rows below the minimum 0"
    assert outcome.unexpected_sample == [-5.0]


def test_missing_column_fails_the_column_set_and_its_own_expectations() -> None:
    table = load_contract().table("touchpoints")
    frame = pd.DataFrame([{**touchpoint("t1"), **BATCH}]).drop(columns=["touch_type"])
    result = validate_frame(table, frame, channels=CHANNELS, currencies=CURRENCIES)
    failed = [o for o in result.outcomes if not o.success]

    assert not result.success
    assert failed[0].expectation == "expect_table_columns_to_match_set"
    assert failed[0].observed == "missing: touch_type"
    assert {o.column for o in failed[1:]} == {"touch_type"}
    assert all(o.observed.startswith("not evaluated:") for o in failed[1:])


def test_empty_required_table_fails() -> None:
    result = validate("orders", [])
    outcome = only_failure(result)

    assert outcome.expectation == "expect_table_row_count_to_be_between"
    assert outcome.observed == "0 rows: the table is empty"
    assert result.row_count == 0


def test_empty_optional_table_passes_and_says_it_is_empty() -> None:
    result = validate("budgets", [])

    assert result.success
    assert "0 rows: the table is empty" in [o.observed for o in result.outcomes]
    assert "empty" in result.summary()


def test_summary_names_table_column_and_expectation_of_each_failure() -> None:
    result = validate("touchpoints", [touchpoint("t1"), touchpoint("t1", channel="tiktok")])

    assert result.summary() == (
        "raw.touchpoints failed 2 of 11 expectations on 2 rows: "
        "expect_compound_columns_to_be_unique on touchpoint_id, _batch_id "
        "(2 of 2 rows with a duplicated key); "
        "expect_column_values_to_be_in_set on channel (1 of 2 rows outside the allowed values)."
    )


@pytest.mark.parametrize("table", load_contract().tables.values(), ids=lambda t: t.name)
def test_every_table_has_a_suite_guarding_its_key_and_batch(table) -> None:
    expectations = build_suite(table, channels=CHANNELS, currencies=CURRENCIES)
    types = [e.expectation_type for e in expectations]

    assert ("expect_column_values_to_be_unique" in types) != (
        "expect_compound_columns_to_be_unique" in types
    )
    assert expectations[-1].column == "_batch_id"
