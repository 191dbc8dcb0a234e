"""Where each contract table comes from, as the deployment's pipeline.yaml says (`sources:`).

A table not named there comes from files, as before. Credentials never live here: a SQL source
names the environment variable that holds its connection URL, an API source the variable that
holds its token."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Names the database or the config may use: letters, digits, underscores, a schema prefix.
IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$"
COLUMN = r"^[A-Za-z_][A-Za-z0-9_]*$"
ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"
# A single read-only statement: SELECT or WITH first, no statement separator.
QUERY = r"^\s*(?i:select|with)\s[^;]*$"


class FilesSource(BaseModel):
    """`<landing>/<table>/<YYYY-MM>.csv|parquet` (the default)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["files"] = "files"


class SqlSource(BaseModel):
    """A table of a SQL database (PostgreSQL, MySQL/MariaDB, SQLite), or the result of a query
    on it, read through dlt."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["sql"]
    url_env: str = Field(pattern=ENV_NAME)
    table: str | None = Field(None, pattern=IDENTIFIER)
    # One SELECT, run as a subquery: its columns play the table's (mapped by `columns`), and the
    # month window and cursor are bound parameters of the query around it.
    query: str | None = Field(None, pattern=QUERY)
    # contract column -> the database's column, where the names differ
    columns: dict[str, Annotated[str, Field(pattern=COLUMN)]] = {}
    # the database column that puts a row in a month; none: the whole table is every month's
    period_column: str | None = Field(None, pattern=COLUMN)
    cursor: str = Field("updated_at", pattern=COLUMN)

    @model_validator(mode="after")
    def _one_relation(self) -> SqlSource:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of `table` (a table name) and `query` (a SELECT)")
        return self

    def source_column(self, contract_column: str) -> str:
        return self.columns.get(contract_column, contract_column)


class ApiSource(BaseModel):
    """A paginated JSON API serving one month of rows per request (`?month=YYYY-MM`)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["api"]
    url: str = Field(pattern=r"^https?://")
    token_env: str | None = Field(None, pattern=ENV_NAME)
    columns: dict[str, Annotated[str, Field(pattern=COLUMN)]] = {}


Source = Annotated[FilesSource | SqlSource | ApiSource, Field(discriminator="kind")]
