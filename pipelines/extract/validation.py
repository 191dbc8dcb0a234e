"""Row-level contract checks as one set-based SQL expression per table (DuckDB dialect).

Each column contributes a `case` that yields a readable problem or NULL; a row's reason is all of
its problems joined. Allowed value sets and the clock are bound parameters, never SQL text."""

from __future__ import annotations

from datetime import datetime

from pipelines.extract.channel_labels import mapped_name
from pipelines.extract.contract import EXPECTED_FORMATS, Column, ColumnType, Table

# How a trimmed text value parses into its contract type; NULL means it does not parse.
PARSERS: dict[ColumnType, str] = {
    ColumnType.INTEGER: "try_cast({v} as bigint)",
    ColumnType.DECIMAL: "try_cast({v} as decimal(18,4))",
    ColumnType.DATE: "try_cast({v} as date)",
    ColumnType.TIMESTAMP: "try_cast({v} as timestamp)",
    ColumnType.MONTH: "cast(try_strptime({v}, '%Y-%m') as date)",
    ColumnType.PERIOD: (
        "case when regexp_full_match({v}, '\\d{{4}}-(0[1-9]|1[0-2]|Q[1-4])') then {v} end"
    ),
    ColumnType.STRING: "{v}",
}

DATED_TYPES = (ColumnType.DATE, ColumnType.TIMESTAMP, ColumnType.MONTH)


def text_value(column: Column) -> str:
    """The column's raw text, trimmed, with empty meaning NULL."""
    return f"nullif(trim({column.name}), '')"


def typed_value(column: Column) -> str:
    """The value landed: parsed to its type; a channel column's canonical channel."""
    if column.values_from == "channels":
        return mapped_name(column)
    return PARSERS[column.type].format(v=text_value(column))


def value_set_parameter(table: Table, column: Column) -> str | None:
    """The name of the bound list parameter holding the column's allowed values, if any (a
    channel column's labels are mapped instead, see channel_labels.py)."""
    if column.values_from == "currencies":
        return "currencies"
    if column.values:
        return f"values_{table.name}_{column.name}"
    return None


def column_problems(table: Table, column: Column) -> list[str]:
    """SQL expressions, one per rule, each a problem text or NULL."""
    name, text, typed = column.name, text_value(column), typed_value(column)
    expected = EXPECTED_FORMATS[column.type]
    shown = f"'''' || {text} || ''''"
    problems = []
    if not column.nullable:
        problems.append(
            f"case when {text} is null then '{name}: missing value, expected {expected}' end"
        )
    if column.type is not ColumnType.STRING:
        problems.append(
            f"case when {text} is not null and {typed} is null "
            f"then '{name}: expected {expected}, got ' || {shown} end"
        )
    if column.min is not None:
        problems.append(
            f"case when try_cast({text} as double) < {float(column.min)} "
            f"then '{name}: expected a value >= {column.min:g}, got ' || {shown} end"
        )
    if column.values_from == "channels":
        problems.append(
            f"case when {text} is not null and {mapped_name(column)} is null "
            f"then '{name}: unmapped channel label ' || {shown} || ', map it to a channel with "
            "a rule in pipeline.yaml channel_mapping.rules (or set unmapped: other)' end"
        )
    parameter = value_set_parameter(table, column)
    if parameter:
        label = (
            "currency not the reporting currency"
            if column.values_from == "currencies"
            else "unknown value"
        )
        problems.append(
            f"case when {text} is not null and not list_contains(${parameter}, {text}) "
            f"then '{name}: {label} ' || {shown} || ', expected one of ' "
            f"|| array_to_string(${parameter}, ', ') end"
        )
    if column.type in DATED_TYPES:
        problems.append(
            f"case when {typed} > cast($now as timestamp) "
            f"then '{name}: in the future, got ' || {shown} end"
        )
    return problems


def reason_expression(table: Table) -> str:
    """One SQL expression: every problem of the row joined by '; ', or NULL for a good row."""
    problems = [p for column in table.columns.values() for p in column_problems(table, column)]
    return "nullif(concat_ws('; ', " + ", ".join(problems) + "), '')"


def typed_select_list(table: Table) -> str:
    """The contract columns cast to their warehouse types, for rows that passed."""
    return ",\n".join(
        f"cast({typed_value(c)} as {c.warehouse_type}) as {c.name}" for c in table.columns.values()
    )


def bound_parameters(table: Table, *, currencies: list[str], now: datetime) -> dict[str, object]:
    """Exactly the parameters `reason_expression(table)` refers to: value sets and the clock."""
    parameters: dict[str, object] = {}
    for column in table.columns.values():
        parameter = value_set_parameter(table, column)
        if parameter:
            parameters[parameter] = currencies if parameter == "currencies" else column.values
        if column.type in DATED_TYPES:
            parameters["now"] = now.replace(tzinfo=None)
    return parameters
