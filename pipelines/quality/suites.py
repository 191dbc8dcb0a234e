"""The raw-table suite file (suites.yaml): expectations beyond the input contract, as data.

Validated against the contract when loaded, so a suite can only name real tables and columns,
and every dated column of the contract has its window decided."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_validator

from pipelines.config import ConfigError, load_yaml_model
from pipelines.extract.contract import ColumnType, Contract, Table, load_contract

SUITES_FILE = Path(__file__).with_name("suites.yaml")

DATED_TYPES = (ColumnType.DATE, ColumnType.TIMESTAMP, ColumnType.MONTH, ColumnType.PERIOD)


class DateWindow(StrEnum):
    """Where a dated column's values may lie, relative to the partition month."""

    IN_MONTH = "in_month"
    BY_MONTH_END = "by_month_end"
    ANY_TIME = "any_time"
    MONTH_OR_QUARTER = "month_or_quarter"


class ValueRange(BaseModel):
    """Inclusive bounds on a column, on the rows where the `when` columns hold those values."""

    model_config = ConfigDict(extra="forbid")

    column: str
    min: float | None = None
    max: float | None = None
    when: dict[str, str] = {}

    @model_validator(mode="after")
    def _has_a_bound(self) -> ValueRange:
        if self.min is None and self.max is None:
            raise ValueError(f"range on '{self.column}' needs min, max or both")
        return self


class ColumnOrder(BaseModel):
    """Two dated columns of one row in order: `column` is not before `not_before` (NULLs pass)."""

    model_config = ConfigDict(extra="forbid")

    column: str
    not_before: str


class ForeignKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    column: str
    references: str  # "<table>.<column>"

    @property
    def label(self) -> str:
        return f"{self.column} -> {self.references}"

    @property
    def parent_table(self) -> str:
        return self.references.split(".")[0]

    @property
    def parent_column(self) -> str:
        return self.references.split(".")[-1]


class TableSuite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dates: dict[str, DateWindow] = {}
    ranges: list[ValueRange] = []
    order: list[ColumnOrder] = []
    foreign_keys: list[ForeignKey] = []


class Suites(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tables: dict[str, TableSuite]

    def of(self, table: str) -> TableSuite:
        return self.tables.get(table, TableSuite())

    def check_against(self, contract: Contract) -> None:
        """Every name must exist in the contract; every dated column must have a window."""
        problems = [
            f"'{name}' is not a contract table"
            for name in self.tables.keys() - contract.tables.keys()
        ]
        for table in contract.tables.values():
            problems += _problems(table, self.of(table.name), contract)
        if problems:
            raise ValueError("; ".join(problems))


def _problems(table: Table, suite: TableSuite, contract: Contract) -> list[str]:
    where = f"tables.{table.name}"
    columns = table.columns
    dated = {name for name, c in columns.items() if c.type in DATED_TYPES}
    problems = [f"{where}.dates: '{n}' has no window" for n in sorted(dated - suite.dates.keys())]
    problems += [
        f"{where}.dates: '{n}' is not a dated column" for n in sorted(suite.dates.keys() - dated)
    ]
    for name, window in suite.dates.items():
        is_period = name in columns and columns[name].type is ColumnType.PERIOD
        if name in dated and is_period != (window is DateWindow.MONTH_OR_QUARTER):
            problems.append(f"{where}.dates: '{name}' cannot use the window {window.value}")
    for value_range in suite.ranges:
        for name in [value_range.column, *value_range.when]:
            if name not in columns:
                problems.append(f"{where}.ranges: '{name}' is not a column")
    for pair in suite.order:
        for name in (pair.column, pair.not_before):
            if name not in dated:
                problems.append(f"{where}.order: '{name}' is not a dated column")
    for key in suite.foreign_keys:
        parent = contract.tables.get(key.parent_table)
        if key.column not in columns:
            problems.append(f"{where}.foreign_keys: '{key.column}' is not a column")
        if parent is None or parent.key != [key.parent_column]:
            problems.append(
                f"{where}.foreign_keys: '{key.references}' is not the one-column key of a table"
            )
    return problems


@cache
def load_suites(path: Path = SUITES_FILE) -> Suites:
    suites = load_yaml_model(Suites, path)
    try:
        suites.check_against(load_contract())
    except ValueError as error:
        raise ConfigError(f"{path}: {error}") from None
    return suites
