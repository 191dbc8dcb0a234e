"""Great-expectations suites for freshly landed raw rows, derived from the input contract.

GX 1.x SQL data sources fail on DuckDB, so a partition's rows are read into pandas and validated
with GX's pandas data source on an ephemeral context. Great-expectations takes seconds to import,
so it is imported only when a suite is built or run: loading the Dagster definitions stays fast.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipelines.extract.contract import BATCH_COLUMNS, Table

if TYPE_CHECKING:
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )
    from great_expectations.datasource.fluent import PandasDatasource
    from great_expectations.expectations import Expectation
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

# Keep pipeline logs clean: no usage statistics (set before great-expectations is first
# imported) and none of its INFO chatter (hundreds of lines at import alone).
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
logging.getLogger("great_expectations").setLevel(logging.WARNING)

SAMPLE_SIZE = 5

# SUMMARY adds the most frequent distinct offending values; unexpected rows are never returned.
RESULT_FORMAT = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": SAMPLE_SIZE,
    "include_unexpected_rows": False,
}

# What an offending row is, per row-level expectation; formatted with the expectation's kwargs.
OFFENDING_ROWS = {
    "expect_column_values_to_not_be_null": "null",
    "expect_column_values_to_be_unique": "with a duplicated key",
    "expect_compound_columns_to_be_unique": "with a duplicated key",
    "expect_column_values_to_be_in_set": "outside the allowed values",
    "expect_column_values_to_be_between": "below the minimum {min_value:g}",
}


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's verdict, for recording and for people."""

    expectation: str
    column: str | None
    success: bool
    observed: str
    unexpected_sample: list[Any]


@dataclass(frozen=True)
class SuiteResult:
    """A table partition's verdict: it passes only if every expectation does."""

    table: str
    success: bool
    row_count: int
    outcomes: list[ExpectationOutcome]

    def summary(self) -> str:
        """One sentence naming every failed expectation, its column and what was observed."""
        rows = _rows(self.row_count) if self.row_count else "0 rows (the table is empty)"
        failed = [outcome for outcome in self.outcomes if not outcome.success]
        if not failed:
            return f"raw.{self.table} passed all {len(self.outcomes)} expectations on {rows}."
        failures = "; ".join(
            f"{o.expectation}" + (f" on {o.column}" if o.column else "") + f" ({o.observed})"
            for o in failed
        )
        return (
            f"raw.{self.table} failed {len(failed)} of {len(self.outcomes)} expectations "
            f"on {rows}: {failures}."
        )


def build_suite(table: Table, *, channels: list[str], currencies: list[str]) -> list[Expectation]:
    """The contract's rules for `table` as GX expectations, table-level first, then per column."""
    import great_expectations as gx

    expect = gx.expectations
    named_sets = {"channels": channels, "currencies": currencies}
    suite: list[Expectation] = [
        expect.ExpectTableColumnsToMatchSet(
            column_set=[*table.column_names, *BATCH_COLUMNS], exact_match=True
        ),
        expect.ExpectTableRowCountToBeBetween(min_value=1 if table.required else 0),
    ]
    # Unique within each landed batch (one month's file): dimension snapshots and lead changes
    # repeat a key across months by design. "never": a null in a nullable key column
    # (budgets.campaign_id) counts as a value.
    suite.append(
        expect.ExpectCompoundColumnsToBeUnique(
            column_list=[*table.key, "_batch_id"], ignore_row_if="never"
        )
    )
    for column in table.columns.values():
        if not column.nullable:
            suite.append(expect.ExpectColumnValuesToNotBeNull(column=column.name))
        allowed = named_sets[column.values_from] if column.values_from else column.values
        if allowed is not None:
            suite.append(expect.ExpectColumnValuesToBeInSet(column=column.name, value_set=allowed))
        if column.min is not None:
            suite.append(
                expect.ExpectColumnValuesToBeBetween(column=column.name, min_value=column.min)
            )
    suite.append(expect.ExpectColumnValuesToNotBeNull(column="_batch_id"))
    return suite


def validate_frame(
    table: Table, frame: pd.DataFrame, *, channels: list[str], currencies: list[str]
) -> SuiteResult:
    """Validate one partition's landed rows of `table` against its contract suite."""
    import great_expectations as gx
    from great_expectations.validator.v1_validator import Validator

    expectations = build_suite(table, channels=channels, currencies=currencies)
    suite = gx.ExpectationSuite(name=f"raw.{table.name}", expectations=expectations)
    # The validator `Batch.validate` wraps, used directly: going through a Batch loads the frame
    # twice, and every load hashes all of it (over a second per million rows).
    validator = Validator(
        batch_definition=_batch_definition(table.name),
        result_format=RESULT_FORMAT,
        batch_parameters={"dataframe": frame},
    )
    validation = validator.validate_expectation_suite(suite)
    # GX returns results in its own order; report them in the suite's.
    position = {_identity(e.configuration): i for i, e in enumerate(expectations)}
    outcomes = sorted(
        (_outcome(result) for result in validation.results),
        key=lambda outcome: position[(outcome.expectation, outcome.column)],
    )
    return SuiteResult(
        table=table.name,
        success=bool(validation.success),
        row_count=len(frame),
        outcomes=outcomes,
    )


@cache
def _batch_definition(table_name: str) -> BatchDefinition:
    """One whole-dataframe batch definition per table, on the process's data source."""
    return (
        _data_source()
        .add_dataframe_asset(table_name)
        .add_batch_definition_whole_dataframe("landed_partition")
    )


@cache
def _data_source() -> PandasDatasource:
    """The process's pandas data source on a quiet in-memory context, created once.

    No data docs site (GX would make a temporary folder for one), no analytics, no progress bars.
    """
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    return context.data_sources.add_pandas("raw_partitions")


def _target(kwargs: dict[str, Any]) -> str | None:
    """The column (or comma-joined columns) an expectation is about; None for the whole table."""
    if "column" in kwargs:
        return kwargs["column"]
    if "column_list" in kwargs:
        return ", ".join(kwargs["column_list"])
    return None


def _identity(configuration: ExpectationConfiguration) -> tuple[str, str | None]:
    """(expectation, column): unique within a suite, and kept by GX in its results."""
    return configuration.type, _target(configuration.kwargs)


def _outcome(result: ExpectationValidationResult) -> ExpectationOutcome:
    expectation, column = _identity(result.expectation_config)
    error = _error_message(result)
    if error is not None:
        return ExpectationOutcome(expectation, column, False, f"not evaluated: {error}", [])
    details = result.result
    if expectation == "expect_table_columns_to_match_set":
        observed, sample = _column_mismatch(details)
    elif expectation == "expect_table_row_count_to_be_between":
        rows = details["observed_value"]
        observed, sample = (_rows(rows) if rows else "0 rows: the table is empty"), []
    else:
        phrase = OFFENDING_ROWS[expectation].format(**result.expectation_config.kwargs)
        observed = f"{details['unexpected_count']:,} of {_rows(details['element_count'])} {phrase}"
        # Most frequent distinct offending values; a compound key's value is a tuple.
        values = [count["value"] for count in details.get("partial_unexpected_counts", [])]
        sample = [list(value) if isinstance(value, tuple) else value for value in values]
    return ExpectationOutcome(expectation, column, bool(result.success), observed, sample)


def _column_mismatch(details: dict[str, Any]) -> tuple[str, list[Any]]:
    mismatched = details.get("details", {}).get("mismatched", {})
    missing, unexpected = mismatched.get("missing", []), mismatched.get("unexpected", [])
    if not (missing or unexpected):
        return f"all {len(details['observed_value'])} columns present", []
    parts = [
        f"{label}: {', '.join(names)}"
        for label, names in (("missing", missing), ("unexpected", unexpected))
        if names
    ]
    return "; ".join(parts), [*missing, *unexpected][:SAMPLE_SIZE]


def _error_message(result: ExpectationValidationResult) -> str | None:
    """The first error GX caught while evaluating the expectation (e.g. a missing column)."""
    info = result.exception_info or {}
    errors = [info] if "raised_exception" in info else list(info.values())
    for error in errors:
        if error.get("raised_exception"):
            return str(error.get("exception_message", "")).removeprefix("Error: ")
    return None


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"
