"""Row-level expectations of a raw table, evaluated in the warehouse over every landed row.

Reading millions of rows into pandas for great-expectations costs more than landing them, so
every rule that looks at each row is pushed down: all of a table's rules are counted in one scan
(one `count(*) filter (where offending)` per rule), key uniqueness in one group-by, and only a
failing rule costs a second, small query for its sample of offending rows. Rules keep the names
of the great-expectations expectations they stand for, so verdicts read the same everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipelines.extract.contract import ColumnType, Table
from pipelines.quality.landed_rows import (
    LandedPartition,
    batches_cte,
    placeholders,
    raw_table,
    records,
)
from pipelines.quality.outcomes import SAMPLE_SIZE, ExpectationOutcome, rows_text
from pipelines.quality.suites import ColumnOrder, DateWindow, TableSuite, ValueRange
from pipelines.warehouse import Warehouse
from pipelines.warehouse.connection import checked_identifier

NOT_NULL = "expect_column_values_to_not_be_null"
IN_SET = "expect_column_values_to_be_in_set"
BETWEEN = "expect_column_values_to_be_between"
UNIQUE_KEY = "expect_compound_columns_to_be_unique"
PAIR_ORDER = "expect_column_pair_values_a_to_be_greater_than_b"

# Offending rows of each date window, on the row `r` and its batch `b` (see landed_rows).
WINDOW_RULES: dict[DateWindow, tuple[str, str, str]] = {
    DateWindow.IN_MONTH: (
        BETWEEN,
        "r.{c} < b.period_start or r.{c} >= b.period_end",
        "outside the partition month",
    ),
    DateWindow.BY_MONTH_END: (BETWEEN, "r.{c} >= b.period_end", "after the partition month"),
    DateWindow.MONTH_OR_QUARTER: (
        IN_SET,
        "r.{c} not in (b.month_label, b.quarter_label)",
        "not the partition's month or quarter",
    ),
}
FUTURE_TYPES = (ColumnType.DATE, ColumnType.TIMESTAMP, ColumnType.MONTH)


@dataclass(frozen=True)
class RowRule:
    """One expectation on single rows: the SQL condition that makes a row offend it."""

    expectation: str
    column: str
    offending: str
    params: tuple[object, ...]
    phrase: str
    other_column: str | None = None  # a second column the rule reads (a pair rule)

    @property
    def columns(self) -> set[str]:
        return {self.column} | ({self.other_column} if self.other_column else set())


def row_rules(
    table: Table,
    suite: TableSuite,
    *,
    channels: list[str],
    currencies: list[str],
    now: datetime,
) -> list[RowRule]:
    """The contract's and the suite file's rules for `table`, column by column."""
    named_sets = {"channels": channels, "currencies": currencies}
    rules = []
    for column in table.columns.values():
        c = checked_identifier(column.name)
        if not column.nullable:
            rules.append(RowRule(NOT_NULL, c, f"r.{c} is null", (), "null"))
        allowed = named_sets[column.values_from] if column.values_from else column.values
        if allowed:
            rules.append(
                RowRule(
                    IN_SET,
                    c,
                    f"r.{c} not in ({placeholders(allowed)})",
                    tuple(allowed),
                    "outside the allowed values",
                )
            )
        if column.min is not None:
            rules.append(
                RowRule(
                    BETWEEN, c, f"r.{c} < ?", (column.min,), f"below the minimum {column.min:g}"
                )
            )
        rules += [_range_rule(r) for r in suite.ranges if r.column == c]
        rules += [_order_rule(pair) for pair in suite.order if pair.column == c]
        window = suite.dates.get(c)
        if window in WINDOW_RULES:
            expectation, offending, phrase = WINDOW_RULES[window]
            rules.append(RowRule(expectation, c, offending.format(c=c), (), phrase))
        if column.type in FUTURE_TYPES:
            rules.append(
                RowRule(BETWEEN, c, f"r.{c} > ?", (now.replace(tzinfo=None),), "in the future")
            )
    return rules


def _range_rule(value_range: ValueRange) -> RowRule:
    c = checked_identifier(value_range.column)
    low, high, when = value_range.min, value_range.max, value_range.when
    bounds = [(f"r.{c} < ?", low), (f"r.{c} > ?", high)]
    outside = " or ".join(sql for sql, bound in bounds if bound is not None)
    params: list[object] = [bound for _, bound in bounds if bound is not None]
    condition = [f"r.{checked_identifier(name)} = ?" for name in when]
    shown = f"outside {_bound(low)}..{_bound(high)}"
    if when:
        shown += " where " + ", ".join(f"{name} = {value}" for name, value in when.items())
        params = [*when.values(), *params]
        outside = " and ".join([*condition, f"({outside})"])
    return RowRule(BETWEEN, c, outside, tuple(params), shown)


def _order_rule(pair: ColumnOrder) -> RowRule:
    c, other = checked_identifier(pair.column), checked_identifier(pair.not_before)
    return RowRule(PAIR_ORDER, c, f"r.{c} < r.{other}", (), f"before {other}", other)


def _bound(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def evaluate_rules(
    warehouse: Warehouse, table: Table, partitions: list[LandedPartition], rules: list[RowRule]
) -> tuple[dict[str, int], list[ExpectationOutcome]]:
    """Rows per landed batch, and each rule's outcome over all of them, in one scan."""
    cte, cte_params = batches_cte(partitions)
    counts = ", ".join(
        f"count(*) filter (where {rule.offending}) as rule_{i}" for i, rule in enumerate(rules)
    )
    frame = warehouse.query(
        f"with {cte} select r._batch_id, count(*) as row_count{', ' if rules else ''}{counts} "
        f"from {raw_table(table.name)} as r join batches as b on r._batch_id = b.batch_id "
        "group by r._batch_id",
        [*cte_params, *(p for rule in rules for p in rule.params)],
    )
    rows_by_batch = {
        str(b): int(n) for b, n in zip(frame["_batch_id"], frame["row_count"], strict=True)
    }
    total = sum(rows_by_batch.values())
    outcomes = []
    for i, rule in enumerate(rules):
        offending = int(frame[f"rule_{i}"].sum())
        sample = _sample(warehouse, table, partitions, rule) if offending else []
        observed = f"{offending:,} of {rows_text(total)} {rule.phrase}"
        outcomes.append(
            ExpectationOutcome(
                rule.expectation, rule.column, not offending, observed, sample, offending
            )
        )
    return rows_by_batch, outcomes


def _sample(
    warehouse: Warehouse, table: Table, partitions: list[LandedPartition], rule: RowRule
) -> list[dict[str, Any]]:
    """A few offending rows, first by key: their key, their value and their batch."""
    cte, cte_params = batches_cte(partitions)
    key = [checked_identifier(k) for k in table.key]
    shown = dict.fromkeys([*key, rule.column])
    frame = warehouse.query(
        f"with {cte} select {', '.join(f'r.{c}' for c in shown)}, r._batch_id "
        f"from {raw_table(table.name)} as r join batches as b on r._batch_id = b.batch_id "
        f"where {rule.offending} order by {', '.join(f'r.{c}' for c in shown)} "
        f"limit {SAMPLE_SIZE}",
        [*cte_params, *rule.params],
    )
    return records(frame)


def evaluate_unique_key(
    warehouse: Warehouse, table: Table, partitions: list[LandedPartition], total: int
) -> ExpectationOutcome:
    """The key is unique within each landed batch (one month's file); dimension snapshots and
    lead changes repeat a key across months by design. A null key value counts as a value."""
    key = [checked_identifier(k) for k in table.key]
    batch_ids = [p.batch_id for p in partitions]
    duplicates = (
        f"select {', '.join(key)}, _batch_id, count(*) as row_count from {raw_table(table.name)} "
        f"where _batch_id in ({placeholders(batch_ids)}) "
        f"group by {', '.join(key)}, _batch_id having count(*) > 1"
    )
    found = warehouse.query(
        f"select coalesce(sum(row_count), 0) as row_count " f"from ({duplicates}) as duplicates",
        batch_ids,
    )
    offending = int(found["row_count"].iat[0])
    sample: list[dict[str, Any]] = []
    if offending:
        sample = records(
            warehouse.query(
                f"{duplicates} order by row_count desc, {', '.join(key)} limit {SAMPLE_SIZE}",
                batch_ids,
            )
        )
    return ExpectationOutcome(
        UNIQUE_KEY,
        ", ".join([*key, "_batch_id"]),
        not offending,
        f"{offending:,} of {rows_text(total)} with a duplicated key",
        sample,
        offending,
    )
