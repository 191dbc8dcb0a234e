"""Row-level contract checks as one set-based SQL select per table (DuckDB dialect).

Each column's text is trimmed and parsed to its type once (inner selects); each column then
contributes a `case` per rule that yields a readable problem or NULL, and a row's reason is all
of its problems joined. Allowed value sets, the channel mapping and the clock are bound
parameters, never SQL text."""

from __future__ import annotations

from datetime import datetime

from pipelines.extract.channel_labels import CHANNEL_LABELS, CHANNEL_NAMES
from pipelines.extract.contract import (
    DECIMAL_INTEGER_DIGITS,
    DECIMAL_SCALE,
    DECIMAL_TYPE,
    EXPECTED_FORMATS,
    MAX_TEXT_LENGTH,
    Column,
    ColumnType,
    Table,
)

# Stored timestamps are UTC. A value ending in an offset (Z, +hh, +hh:mm, +hhmm; DuckDB writes a
# time zone aware Parquet value as text with one) is converted to UTC, so its month follows from
# the converted value; a value without one is UTC as written, whatever the host's or session's
# zone. A time without seconds gets ':00' before its offset, the form DuckDB parses. (A date
# alone ends like an offset, '-31': a time must be there too.)
TIMESTAMP_PARSER = (
    r"case when regexp_matches({v}, '(Z|z|[+-]\d{{2}}(:?\d{{2}})?)$') "
    r"and regexp_matches({v}, '\d:\d{{2}}') "
    r"then timezone('UTC', try_cast(regexp_replace({v}, '([T ]\d{{2}}:\d{{2}})([-+Zz])', "
    r"'\1:00\2') as timestamptz)) "
    r"else try_cast({v} as timestamp) end"
)

# How a trimmed text value parses into its contract type; NULL means it does not parse.
PARSERS: dict[ColumnType, str] = {
    # A whole number ('3', '3.0'): a fraction is not rounded away, the row is quarantined.
    ColumnType.INTEGER: (
        r"case when regexp_full_match({v}, '[+-]?\d+(\.0*)?') "
        "then try_cast(split_part({v}, '.', 1) as bigint) end"
    ),
    ColumnType.DECIMAL: f"try_cast({{v}} as {DECIMAL_TYPE})",
    ColumnType.DATE: "try_cast({v} as date)",
    ColumnType.TIMESTAMP: TIMESTAMP_PARSER,
    ColumnType.MONTH: "cast(try_strptime({v}, '%Y-%m') as date)",
    ColumnType.PERIOD: (
        "case when regexp_full_match({v}, '\\d{{4}}-(0[1-9]|1[0-2]|Q[1-4])') then {v} end"
    ),
    ColumnType.STRING: "{v}",
}
# A channel label's canonical channel, looked up in the bound mapping (NULL: unmapped).
CHANNEL_LOOKUP = f"${CHANNEL_NAMES}[list_position(${CHANNEL_LABELS}, {{v}})]"
# Decimal places a decimal text carries, trailing zeros aside, an exponent counted ('1.5e-3': 4).
DECIMAL_PLACES = (
    "length(rtrim(regexp_extract({v}, '\\.(\\d+)', 1), '0')) "
    "- coalesce(try_cast(regexp_extract({v}, '[eE]([+-]?\\d+)$', 1) as integer), 0)"
)

DATED_TYPES = (ColumnType.DATE, ColumnType.TIMESTAMP, ColumnType.MONTH)

# Control characters a text value must not carry (tab, line feed and carriage return may).
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
# Shapes of personal data masked in a quarantine reason whatever column they arrived in (an
# email shifted into a date column): an email address, a phone number with a + or separators.
EMAIL_SHAPE = r"[^\s@,;]+@[^\s@,;]+"
PHONE_SHAPE = r"\+\d[\d ().-]{6,}\d|\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}"


def _trimmed(column: Column) -> str:
    """The column's raw text, trimmed of spaces, with empty meaning NULL (trim only where there
    is a space to trim: it costs more than the rest of the checks together)."""
    name = column.name
    return (
        f"case when prefix({name}, ' ') or suffix({name}, ' ') "
        f"then nullif(trim({name}), '') else nullif({name}, '') end"
    )


def text_value(column: Column) -> str:
    """The inner select's column holding the trimmed text."""
    return f"_text_{column.name}"


def typed_name(column: Column) -> str:
    """The inner select's column holding the value parsed to its type."""
    return f"_typed_{column.name}"


def _parsed(column: Column) -> str:
    """The value landed: parsed to its type; a channel column's canonical channel."""
    parser = CHANNEL_LOOKUP if column.values_from == "channels" else PARSERS[column.type]
    return f"cast({parser.format(v=text_value(column))} as {column.warehouse_type})"


def value_set_parameter(table: Table, column: Column) -> str | None:
    """The name of the bound list parameter holding the column's allowed values, if any (a
    channel column's labels are mapped instead, see channel_labels.py)."""
    if column.values_from == "currencies":
        return "currencies"
    if column.values:
        return f"values_{table.name}_{column.name}"
    return None


def _shown(column: Column) -> str:
    """The value as a reason quotes it: never a PII column's; elsewhere control characters, and
    text shaped like an email address or a phone number, masked (reasons reach BI)."""
    if column.pii:
        return "'(withheld: personal data)'"
    masked = text_value(column)
    for shape, mask in (
        (CONTROL_CHARACTERS, "?"),
        (EMAIL_SHAPE, "<email>"),
        (PHONE_SHAPE, "<phone>"),
    ):
        masked = f"regexp_replace({masked}, '{shape}', '{mask}', 'g')"
    return f"'''' || {masked} || ''''"


def _text_problems(column: Column) -> list[str]:
    """A text value with a control character (a NUL byte PostgreSQL cannot store, a broken
    export) or longer than MAX_TEXT_LENGTH is quarantined, not carried into the models."""
    name, text = column.name, text_value(column)
    return [
        f"case when regexp_matches({text}, '{CONTROL_CHARACTERS}') "
        f"then '{name}: control character (such as NUL) in the text, expected plain text' end",
        f"case when length({text}) > {MAX_TEXT_LENGTH} then '{name}: ' || length({text}) "
        f"|| ' characters, expected at most {MAX_TEXT_LENGTH}' end",
    ]


def _type_problems(column: Column) -> list[str]:
    """The value does not parse; for a decimal, why: out of range or too many decimal places
    (either would be rounded or lost by the warehouse type, so the row is quarantined)."""
    name, text, typed = column.name, text_value(column), typed_name(column)
    shown = _shown(column)
    if column.type is ColumnType.STRING:
        return _text_problems(column)
    if column.type is not ColumnType.DECIMAL:
        expected = EXPECTED_FORMATS[column.type]
        return [
            f"case when {text} is not null and {typed} is null "
            f"then '{name}: expected {expected}, got ' || {shown} end"
        ]
    number = f"try_cast({text} as double)"
    return [
        f"case when {text} is not null and {typed} is null then "
        f"case when isfinite({number}) then '{name}: out of range, expected at most "
        f"{DECIMAL_INTEGER_DIGITS} digits before the decimal point, got ' || {shown} "
        f"else '{name}: expected {EXPECTED_FORMATS[column.type]}, got ' || {shown} end end",
        f"case when {typed} is not null and {DECIMAL_PLACES.format(v=text)} > {DECIMAL_SCALE} "
        f"then '{name}: more than {DECIMAL_SCALE} decimal places, got ' || {shown} end",
    ]


def column_problems(table: Table, column: Column) -> list[str]:
    """SQL expressions, one per rule, each a problem text or NULL."""
    name, text, typed = column.name, text_value(column), typed_name(column)
    expected = EXPECTED_FORMATS[column.type]
    shown = _shown(column)
    problems = []
    if not column.nullable:
        problems.append(
            f"case when {text} is null then '{name}: missing value, expected {expected}' end"
        )
    problems += _type_problems(column)
    if column.min is not None:
        problems.append(
            f"case when try_cast({text} as double) < {float(column.min)} "
            f"then '{name}: expected a value >= {column.min:g}, got ' || {shown} end"
        )
    if column.values_from == "channels":
        problems.append(
            f"case when {text} is not null and {typed} is null "
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


def checked_select(table: Table, source: str) -> str:
    """Every row of `source` (the contract columns as text, in file order): its typed values
    under the column names, `_reason` (every problem joined by '; ', NULL for a good row) and,
    for a bad row only, `_original_row` (its text values as JSON). Each value is parsed once."""
    columns = list(table.columns.values())
    typed = ", ".join(f"{_parsed(c)} as {typed_name(c)}" for c in columns)
    problems = [p for column in columns for p in column_problems(table, column)]
    reason = "nullif(concat_ws('; ', " + ", ".join(problems) + "), '')"
    original = ", ".join(f"{c.name} := {c.name}" for c in columns)
    landed = ", ".join(f"{typed_name(c)} as {c.name}" for c in columns)
    texts = ", ".join(f"{_trimmed(c)} as {text_value(c)}" for c in columns)
    return f"""
        select
            {landed},
            _reason,
            case when _reason is not null
                then cast(to_json(struct_pack({original})) as varchar) end as _original_row
        from (
            select *, {reason} as _reason
            from (select *, {typed} from (select *, {texts} from {source}))
        )
    """


def bound_parameters(
    table: Table, *, currencies: list[str], now: datetime, channels: dict[str, str | None]
) -> dict[str, object]:
    """Exactly the parameters `checked_select(table)` refers to: value sets, the channel
    mapping (label -> canonical channel or None) and the clock."""
    parameters: dict[str, object] = {}
    for column in table.columns.values():
        parameter = value_set_parameter(table, column)
        if parameter:
            parameters[parameter] = currencies if parameter == "currencies" else column.values
        if column.type in DATED_TYPES:
            parameters["now"] = now.replace(tzinfo=None)
        if column.values_from == "channels":
            parameters[CHANNEL_LABELS] = list(channels)
            parameters[CHANNEL_NAMES] = list(channels.values())
    return parameters
