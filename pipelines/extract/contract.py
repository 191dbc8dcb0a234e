"""The input contract (contract.yaml) as typed objects, and the raw-table DDL derived from it."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

CONTRACT_FILE = Path(__file__).with_name("contract.yaml")

# Columns every raw row carries besides the contract's own.
BATCH_COLUMNS: dict[str, str] = {
    "_batch_id": "varchar",
    "_source": "varchar",
    "_period": "date",
    "_loaded_at": "timestamp",
}


class ColumnType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    TIMESTAMP = "timestamp"
    MONTH = "month"
    PERIOD = "period"


# Amounts: exact decimals wide enough for any money figure and for inputs with many decimals
# (DECIMAL(38,9) on DuckDB, numeric(38,9) on PostgreSQL). A value that does not fit is
# quarantined with the reason, never rounded.
DECIMAL_PRECISION, DECIMAL_SCALE = 38, 9
DECIMAL_INTEGER_DIGITS = DECIMAL_PRECISION - DECIMAL_SCALE
DECIMAL_TYPE = f"decimal({DECIMAL_PRECISION},{DECIMAL_SCALE})"

# Warehouse type of each contract type; both DuckDB and PostgreSQL accept these names.
WAREHOUSE_TYPES: dict[ColumnType, str] = {
    ColumnType.STRING: "varchar",
    ColumnType.INTEGER: "bigint",
    ColumnType.DECIMAL: DECIMAL_TYPE,
    ColumnType.DATE: "date",
    ColumnType.TIMESTAMP: "timestamp",
    ColumnType.MONTH: "date",
    ColumnType.PERIOD: "varchar",
}

# What a person is told a value of each type should look like.
EXPECTED_FORMATS: dict[ColumnType, str] = {
    ColumnType.STRING: "text",
    ColumnType.INTEGER: "a whole number",
    ColumnType.DECIMAL: "a decimal number",
    ColumnType.DATE: "a date YYYY-MM-DD",
    ColumnType.TIMESTAMP: "a timestamp YYYY-MM-DD HH:MM:SS (UTC, or with an offset Z, +hh:mm)",
    ColumnType.MONTH: "a month YYYY-MM",
    ColumnType.PERIOD: "a period YYYY-MM or YYYY-Qn",
}


# The longest text a string value may hold: longer is a broken export (a shifted column, a whole
# document in a cell), quarantined rather than carried into every model.
MAX_TEXT_LENGTH = 1000


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    type: ColumnType
    nullable: bool = False
    # Personal data: its values are never echoed in a quarantine reason.
    pii: bool = False
    min: float | None = None
    values: list[str] | None = None
    values_from: str | None = Field(default=None, pattern="^(channels|currencies)$")

    @property
    def warehouse_type(self) -> str:
        return WAREHOUSE_TYPES[self.type]


class Table(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    key: list[str]
    columns: dict[str, Column]

    @model_validator(mode="after")
    def _name_columns(self) -> Table:
        for name, column in self.columns.items():
            column.name = name
        unknown = [k for k in self.key if k not in self.columns]
        if unknown:
            raise ValueError(f"key columns {unknown} are not columns of the table")
        return self

    @property
    def column_names(self) -> list[str]:
        return list(self.columns)


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tables: dict[str, Table]

    @model_validator(mode="after")
    def _name_tables(self) -> Contract:
        for name, table in self.tables.items():
            table.name = name
        return self

    def table(self, name: str) -> Table:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"'{name}' is not a table of the input contract") from None


@cache
def load_contract(path: Path = CONTRACT_FILE) -> Contract:
    """The contract, parsed once per process."""
    return Contract.model_validate(yaml.safe_load(path.read_text()))


def raw_table_ddl(table: Table) -> str:
    """`create table if not exists raw.<table>`: typed contract columns plus batch metadata."""
    columns = [f"    {c.name} {c.warehouse_type}" for c in table.columns.values()]
    columns += [f"    {name} {type_}" for name, type_ in BATCH_COLUMNS.items()]
    return f"create table if not exists raw.{table.name} (\n" + ",\n".join(columns) + "\n)"
