"""A raw table's suite on the partitions a run just landed: the `contract_suite` check.

Split by what each engine does well. Great-expectations validates the table's shape (exactly the
contract's columns plus batch metadata, each holding values of its contract type) on a sample of
the landed rows read into pandas: the shape does not depend on how many rows there are. Every
rule on single rows (nulls, value sets, ranges, date windows, key uniqueness) runs in the
warehouse over all landed rows (pipelines/quality/sql_suite.py): reading millions of rows into
pandas would cost more than landing them. The rules come from the input contract and the suite
file (pipelines/quality/suites.yaml).

GX 1.x SQL data sources fail on DuckDB, hence its pandas data source on an ephemeral context.
Great-expectations takes seconds to import, so it is imported only when a suite runs: loading
the Dagster definitions stays fast."""

from __future__ import annotations

import logging
import os
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipelines.extract.contract import BATCH_COLUMNS, ColumnType, Table
from pipelines.periods import month_label
from pipelines.quality.landed_rows import LandedPartition, placeholders, raw_table
from pipelines.quality.outcomes import SAMPLE_SIZE, ExpectationOutcome, SuiteResult, rows_text
from pipelines.quality.sql_suite import UNIQUE_KEY, evaluate_rules, evaluate_unique_key, row_rules
from pipelines.quality.suites import load_suites
from pipelines.warehouse import Warehouse

if TYPE_CHECKING:
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )
    from great_expectations.datasource.fluent import PandasDatasource
    from great_expectations.expectations import Expectation

# Keep pipeline logs clean: no usage statistics (set before great-expectations is first
# imported) and none of its INFO chatter (hundreds of lines at import alone).
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
logging.getLogger("great_expectations").setLevel(logging.WARNING)

# Rows read into pandas for the shape expectations.
SHAPE_SAMPLE_ROWS = 1000

# What a value of each contract type looks like in pandas, read from either warehouse: a typed
# column from DuckDB (whose dates and timestamps are both datetime64), Python objects from
# PostgreSQL. GX checks a typed column's dtype and an object column's values' types.
PANDAS_TYPES: dict[ColumnType, list[str]] = {
    ColumnType.STRING: ["str"],
    ColumnType.INTEGER: ["int64", "Int64", "int"],
    ColumnType.DECIMAL: ["float64", "Decimal"],
    ColumnType.DATE: ["datetime64[us]", "datetime64[ns]", "date"],
    ColumnType.TIMESTAMP: ["datetime64[us]", "datetime64[ns]", "datetime"],
    ColumnType.MONTH: ["datetime64[us]", "datetime64[ns]", "date"],
    ColumnType.PERIOD: ["str"],
}

ROW_COUNT = "expect_table_row_count_to_be_between"


def validate_landed(
    warehouse: Warehouse,
    table: Table,
    partitions: list[LandedPartition],
    *,
    channels: list[str],
    currencies: list[str],
    now: datetime,
) -> SuiteResult:
    """Validate the rows of `table` landed in `partitions` against its whole suite, here."""
    sample = landed_sample(warehouse, table, partitions) if partitions else pd.DataFrame()
    shape = validate_shape(table, sample) if partitions else []
    return complete_suite(
        warehouse,
        table,
        partitions,
        list(sample.columns),
        shape,
        channels=channels,
        currencies=currencies,
        now=now,
    )


def complete_suite(
    warehouse: Warehouse,
    table: Table,
    partitions: list[LandedPartition],
    columns: list[str],
    shape: list[ExpectationOutcome],
    *,
    channels: list[str],
    currencies: list[str],
    now: datetime,
) -> SuiteResult:
    """The whole suite, given the landed sample's columns and its shape outcomes (which
    great-expectations may have evaluated elsewhere, pipelines/quality/shape_worker.py): the row
    rules run in the warehouse on the columns present and of their type."""
    if not partitions:
        return SuiteResult(table.name, 0, [_row_count(partitions, {})])
    # Row rules run only on columns that exist and hold their type: SQL on others would fail.
    wrong_type = {o.column for o in shape[1:] if not o.success}
    present = set(columns) - wrong_type
    rules = row_rules(
        table, load_suites().of(table.name), channels=channels, currencies=currencies, now=now
    )
    runnable = [rule for rule in rules if rule.columns <= present]
    rows_by_batch, rule_outcomes = evaluate_rules(warehouse, table, partitions, runnable)
    total = sum(rows_by_batch.values())
    missing_key = [k for k in table.key if k not in present]
    unique = (
        _not_evaluated(UNIQUE_KEY, ", ".join(table.key), missing_key)
        if missing_key
        else evaluate_unique_key(warehouse, table, partitions, total)
    )
    unevaluated = [
        _not_evaluated(rule.expectation, rule.column, sorted(rule.columns - present))
        for rule in rules
        if not rule.columns <= present
    ]
    return SuiteResult(
        table=table.name,
        row_count=total,
        outcomes=[
            shape[0],
            _row_count(partitions, rows_by_batch),
            *shape[1:],
            unique,
            *rule_outcomes,
            *unevaluated,
        ],
    )


def record_unique_keys(
    warehouse: Warehouse, suite: SuiteResult, partitions: list[LandedPartition]
) -> None:
    """Note in quality.landed_batches that the suite found no key twice in these batches, so
    staging need not group their rows by key again (macros/deduplicate.sql)."""
    unique = next((o for o in suite.outcomes if o.expectation == UNIQUE_KEY), None)
    if unique is None or not unique.success or not partitions:
        return
    batch_ids = [p.batch_id for p in partitions]
    warehouse.execute(
        "update quality.landed_batches set keys_unique = true "
        f"where batch_id in ({placeholders(batch_ids)})",
        batch_ids,
    )


def landed_sample(
    warehouse: Warehouse, table: Table, partitions: list[LandedPartition]
) -> pd.DataFrame:
    """The first landed rows of the partitions: what the shape expectations look at."""
    batch_ids = [p.batch_id for p in partitions]
    return warehouse.query(
        f"select * from {raw_table(table.name)} "
        f"where _batch_id in ({placeholders(batch_ids)}) limit {SHAPE_SAMPLE_ROWS}",
        batch_ids,
    )


def _row_count(
    partitions: list[LandedPartition], rows_by_batch: dict[str, int]
) -> ExpectationOutcome:
    """Reports the landed rows and always passes: a header-only file is an empty month of a
    table in use, data and not an error; the volume is judged by the `row_count_trend` check."""
    total = sum(rows_by_batch.values())
    empty = [month_label(p.period) for p in partitions if not rows_by_batch.get(p.batch_id)]
    if not partitions:
        observed = "no file landed"
    elif total == 0:
        observed = "0 rows: every landed file is empty"
    elif empty:
        observed = f"{rows_text(total)}; 0 rows landed for {', '.join(empty)}"
    else:
        observed = rows_text(total)
    return ExpectationOutcome(ROW_COUNT, None, True, observed, empty[:SAMPLE_SIZE])


def _not_evaluated(expectation: str, column: str, missing: list[str]) -> ExpectationOutcome:
    return ExpectationOutcome(
        expectation,
        column,
        False,
        f"not evaluated: column {', '.join(missing)} is missing or not of its type",
    )


def shape_suite(table: Table) -> list[Expectation]:
    """Exactly the contract's columns plus batch metadata, each of its contract type."""
    import great_expectations as gx

    expect = gx.expectations
    return [
        expect.ExpectTableColumnsToMatchSet(
            column_set=[*table.column_names, *BATCH_COLUMNS], exact_match=True
        ),
        *(
            expect.ExpectColumnValuesToBeInTypeList(
                column=column.name, type_list=PANDAS_TYPES[column.type]
            )
            for column in table.columns.values()
        ),
    ]


def validate_shape(table: Table, frame: pd.DataFrame) -> list[ExpectationOutcome]:
    """The shape expectations on `frame`, in suite order: column set first, then types."""
    import great_expectations as gx
    from great_expectations.validator.v1_validator import Validator

    expectations = shape_suite(table)
    suite = gx.ExpectationSuite(name=f"raw.{table.name}.shape", expectations=expectations)
    # The validator `Batch.validate` wraps, used directly: going through a Batch loads the frame
    # twice, and every load hashes all of it.
    validator = Validator(
        batch_definition=_batch_definition(table.name),
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE},
        batch_parameters={"dataframe": frame},
    )
    results = validator.validate_expectation_suite(suite).results
    by_column = {result.expectation_config.kwargs.get("column"): result for result in results}
    return [_outcome(by_column[e.configuration.kwargs.get("column")]) for e in expectations]


def warm_up() -> None:
    """Import great-expectations and create its data source, before the first sample comes."""
    _data_source()


@cache
def _batch_definition(table_name: str) -> BatchDefinition:
    """One whole-dataframe batch definition per table, on the process's data source."""
    return (
        _data_source()
        .add_dataframe_asset(table_name)
        .add_batch_definition_whole_dataframe("landed_sample")
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


def _outcome(result: ExpectationValidationResult) -> ExpectationOutcome:
    expectation = result.expectation_config.type
    column = result.expectation_config.kwargs.get("column")
    error = _error_message(result)
    if error is not None:
        return ExpectationOutcome(expectation, column, False, f"not evaluated: {error}")
    details = result.result
    if column is None:
        observed, sample = _column_mismatch(details)
    else:
        observed, sample = _type_mismatch(details)
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


def _type_mismatch(details: dict[str, Any]) -> tuple[str, list[Any]]:
    """A typed column reports its dtype; an object column its values of another type."""
    if "observed_value" in details:
        return f"column type {details['observed_value']}", []
    values = [str(count["value"]) for count in details.get("partial_unexpected_counts", [])]
    unexpected = details.get("unexpected_count", 0)
    return (
        f"{unexpected:,} of {rows_text(details['element_count'])} sampled of another type",
        values,
    )


def _error_message(result: ExpectationValidationResult) -> str | None:
    """The first error GX caught while evaluating the expectation (e.g. a missing column)."""
    info = result.exception_info or {}
    errors = [info] if "raised_exception" in info else list(info.values())
    for error in errors:
        if error.get("raised_exception"):
            return str(error.get("exception_message", "")).removeprefix("Error: ")
    return None
