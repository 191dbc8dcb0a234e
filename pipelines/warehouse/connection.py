"""Connections to the warehouse. SQL is written once with `?` placeholders and its values passed
as parameters; identifiers that come from configuration are validated before they reach SQL text.

The command line's read commands must answer in well under a second (issue 11), and importing
pandas alone takes about half of one. So pandas, pyarrow and psycopg2 are imported where they are
used. DuckDB's Python client imports pandas to bind any parameter, so on DuckDB `rows()` writes a
value into the SQL text only when it cannot carry SQL: a date, or a string of letters, digits and
`_.:-` (a month, an id, a table name); any other value is bound as usual."""

from __future__ import annotations

import re
import tempfile
from abc import ABC, abstractmethod
from collections import namedtuple
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import duckdb

from pipelines.settings import Settings, Target

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
# Text that can go into SQL as a literal unbound: no quote, backslash, space or anything else.
INERT_TEXT = re.compile(r"^[A-Za-z0-9_.:-]*$")
MEMORY_LIMIT = re.compile(r"^\d+(\.\d+)?\s*[KMGT]i?B$", re.IGNORECASE)
# The in-memory DuckDB database a file reader keeps checked rows in until they are written.
LANDING_DATABASE = "landing"

# A result row: a named tuple of the query's columns (row.entity_id), values as the driver gives
# them (None for NULL, datetime.date for a date).
Row: TypeAlias = Any


class WarehouseError(RuntimeError):
    """The warehouse cannot be reached or refused a statement; the message says which and why."""


def sql_string(text: str) -> str:
    """A SQL string literal, for the few places DuckDB takes no bound parameter (ATTACH, COPY,
    a file path in a table function of a subquery reused by several statements)."""
    return "'" + text.replace("'", "''") + "'"


def checked_identifier(name: str) -> str:
    """A lower-case SQL identifier: the only form names from configuration may take in SQL text."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"'{name}' is not a valid SQL identifier")
    return name


def checked_table_name(name: str) -> str:
    """`schema.table`, both parts valid identifiers."""
    parts = name.split(".")
    if len(parts) != 2:
        raise ValueError(f"'{name}' is not a schema-qualified table name")
    return ".".join(checked_identifier(part) for part in parts)


class Warehouse(ABC):
    """What the pipeline needs from a warehouse: statements, queries, bulk inserts, transactions."""

    target: Target

    @abstractmethod
    def execute(self, sql: str, params: Sequence[object] = ()) -> None: ...

    @abstractmethod
    def query(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame: ...

    @abstractmethod
    def rows(self, sql: str, params: Sequence[str | date] = ()) -> list[Row]:
        """The result as named tuples, for small results read without pandas."""

    @abstractmethod
    def insert_arrow(self, table: str, data: pa.Table) -> None:
        """Append `data` (columns matched by name) to `table` inside the current transaction."""

    @abstractmethod
    def file_reader(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection (one per thread) to read and check landing files in, with the
        in-memory database `landing` for the checked rows until `append_select` writes them."""

    @abstractmethod
    def append_select(
        self,
        reader: duckdb.DuckDBPyConnection,
        table: str,
        select: str,
        params: dict[str, object],
    ) -> None:
        """Append the rows of `select` over `reader`'s `landing` tables (columns matched by name)
        to `table` inside the current transaction."""

    @abstractmethod
    def drop_landing_table(self, reader: duckdb.DuckDBPyConnection, name: str) -> None:
        """Drop `reader`'s table `landing.<name>`, its rows written."""

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[None]: ...

    @abstractmethod
    def close(self) -> None: ...

    def insert_frame(self, table: str, frame: pd.DataFrame) -> None:
        import pyarrow as pa

        self.insert_arrow(table, pa.Table.from_pandas(frame, preserve_index=False))

    def scalar(self, sql: str, params: Sequence[object] = ()) -> object:
        frame = self.query(sql, params)
        return None if frame.empty else frame.iat[0, 0]

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class DuckDBWarehouse(Warehouse):
    target = Target.DUCKDB

    def __init__(self, path: Path, memory_limit: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.connection = duckdb.connect(str(path))
        except duckdb.IOException as error:
            raise WarehouseError(
                f"cannot open the DuckDB warehouse {path}: {error}. Another process (a BI tool or "
                "another run) may hold it open; DuckDB allows one writer per file."
            ) from None
        # A setting, not connect-time config: dbt may hold the same file open in this process.
        if not MEMORY_LIMIT.match(memory_limit):
            raise WarehouseError(f"memory limit {memory_limit!r}: expected e.g. 4GB or 512MB")
        self.connection.execute(f"set memory_limit = '{memory_limit}'")
        # Timestamps are UTC: a zone-aware value renders and converts the same on any host.
        self.connection.execute("set TimeZone = 'UTC'")
        self._in_transaction = False

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        self.connection.execute(sql, list(params))

    def query(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        return self.connection.execute(sql, list(params)).df()

    def rows(self, sql: str, params: Sequence[str | date] = ()) -> list[Row]:
        """Inert values (a date, a plain id) go into the text, not bound: binding would import
        pandas. A value with any other character is bound."""
        if not all(_inert(param) for param in params):
            result = self.connection.execute(sql, list(params))
            return _named_rows(result.description, result.fetchall())
        parts = sql.split("?")
        if len(parts) != len(params) + 1:
            raise ValueError(f"{len(parts) - 1} placeholders for {len(params)} parameters")
        text = parts[0] + "".join(
            _inert_literal(param) + part for param, part in zip(params, parts[1:], strict=True)
        )
        result = self.connection.execute(text)
        return _named_rows(result.description, result.fetchall())

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        name = checked_table_name(table)
        self.connection.register("_incoming", data)
        try:
            self.connection.execute(f"insert into {name} by name select * from _incoming")
        finally:
            self.connection.unregister("_incoming")

    def file_reader(self) -> duckdb.DuckDBPyConnection:
        """A cursor of the warehouse itself: checked rows are written by one insert-select in
        the warehouse, never copied out and back. Open it in the thread that owns the warehouse
        connection; reads then run side by side (DuckDB allows one writing process per file;
        the checked rows live in the in-memory `landing` database, and this process writes one
        batch at a time to the warehouse)."""
        reader = self.connection.cursor()
        reader.execute("set TimeZone = 'UTC'")  # a cursor is a session of its own
        reader.execute(f"attach if not exists ':memory:' as {LANDING_DATABASE}")
        return reader

    def append_select(
        self,
        reader: duckdb.DuckDBPyConnection,
        table: str,
        select: str,
        params: dict[str, object],
    ) -> None:
        """`reader` is a cursor of this database: its `landing` tables are visible here. The
        rows are appended in any order (20-35% faster than keeping it, measured; a quarantined
        row's source row is a column, and staging orders by batch, not by position)."""
        name = checked_table_name(table)
        self.connection.execute("set session preserve_insertion_order = false")
        try:
            self.connection.execute(f"insert into {name} by name {select}", params)
        finally:
            self.connection.execute("reset session preserve_insertion_order")

    def drop_landing_table(self, reader: duckdb.DuckDBPyConnection, name: str) -> None:
        """On this connection: `reader` may be reading the next file in its own thread."""
        table = checked_table_name(f"{LANDING_DATABASE}.{name}")
        self.connection.execute(f"drop table {table}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._in_transaction:
            yield
            return
        self.connection.execute("begin transaction")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self.connection.execute("rollback")
            raise
        else:
            self.connection.execute("commit")
        finally:
            self._in_transaction = False

    def close(self) -> None:
        self.connection.close()


class PostgresWarehouse(Warehouse):
    target = Target.POSTGRES

    def __init__(self, url: str) -> None:
        import psycopg2

        try:
            # Timestamps are UTC, whatever the server's or the role's default zone.
            self.connection = psycopg2.connect(url, options="-c TimeZone=UTC")
        except psycopg2.OperationalError as error:
            host = url.split("@")[-1]
            raise WarehouseError(f"cannot connect to PostgreSQL at {host}: {error}") from None
        self.connection.autocommit = True
        self._in_transaction = False

    @staticmethod
    def _paramstyle(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(self._paramstyle(sql), tuple(params))

    def query(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        import pandas as pd

        with self.connection.cursor() as cursor:
            cursor.execute(self._paramstyle(sql), tuple(params))
            columns = [c.name for c in cursor.description]
            return pd.DataFrame(cursor.fetchall(), columns=columns)

    def rows(self, sql: str, params: Sequence[str | date] = ()) -> list[Row]:
        with self.connection.cursor() as cursor:
            cursor.execute(self._paramstyle(sql), tuple(params))
            return _named_rows(cursor.description, cursor.fetchall())

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        reader = self.file_reader()
        try:
            reader.register("_incoming", data)
            self.append_select(reader, table, "select * from _incoming", {})
        finally:
            reader.close()

    def file_reader(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB of its own: the checked rows reach PostgreSQL by COPY, which
        runs on the reader, so a file is read and written in one thread (as land_table does)."""
        reader = duckdb.connect()
        reader.execute("set TimeZone = 'UTC'")
        reader.execute(f"attach ':memory:' as {LANDING_DATABASE}")
        return reader

    def append_select(
        self,
        reader: duckdb.DuckDBPyConnection,
        table: str,
        select: str,
        params: dict[str, object],
    ) -> None:
        """COPY through a CSV that DuckDB writes: NULL stays unquoted-empty, '' stays quoted."""
        name = checked_table_name(table)
        with tempfile.NamedTemporaryFile(suffix=".csv") as buffer:
            reader.execute(f"copy ({select}) to '{buffer.name}' (format csv, header true)", params)
            with self.connection.cursor() as cursor, open(buffer.name) as csv_file:
                header = csv_file.readline().rstrip("\n").split(",")
                columns = ", ".join(checked_identifier(c) for c in header)
                cursor.copy_expert(
                    f"copy {name} ({columns}) from stdin with (format csv)", csv_file
                )

    def drop_landing_table(self, reader: duckdb.DuckDBPyConnection, name: str) -> None:
        reader.execute(f"drop table {checked_table_name(f'{LANDING_DATABASE}.{name}')}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._in_transaction:
            yield
            return
        self.connection.autocommit = False
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self.connection.rollback()
            raise
        else:
            self.connection.commit()
        finally:
            self._in_transaction = False
            self.connection.autocommit = True

    def close(self) -> None:
        self.connection.close()


def _inert(value: object) -> bool:
    """A value whose literal cannot carry SQL: a date (digits and dashes) or a plain id."""
    if isinstance(value, date):
        return not isinstance(value, datetime)
    return isinstance(value, str) and INERT_TEXT.match(value) is not None


def _inert_literal(value: str | date) -> str:
    if isinstance(value, date):
        return f"date '{value.isoformat()}'"
    return f"'{value}'"


def _named_rows(description: Sequence[Sequence[Any]], values: list[tuple[Any, ...]]) -> list[Row]:
    """Rows as named tuples of the columns a DB-API cursor describes (name first); a column
    name that cannot be an attribute becomes _<position>, as in pandas' itertuples."""
    row_type = namedtuple("Row", [column[0] for column in description], rename=True)
    return [row_type._make(value) for value in values]


@contextmanager
def held_open(settings: Settings) -> Iterator[None]:
    """For a run's duration on DuckDB, one idle connection to the warehouse in this process.

    DuckDB writes a checkpoint whenever a file's last connection in the process closes, and a
    run's steps and dbt open and close the warehouse a dozen times: each close wrote the tables
    changed so far. Held open, the file is checkpointed when its WAL passes DuckDB's threshold and
    once at the end; every commit is in the WAL, as durable as before. A warehouse that cannot be
    opened now is left to the run's first step, which says why."""
    if settings.target is not Target.DUCKDB:
        yield
        return
    try:
        keeper = DuckDBWarehouse(settings.warehouse, settings.duckdb_memory_limit)
    except (WarehouseError, OSError):  # held by another process; a folder that cannot be made
        yield
        return
    with keeper:
        yield


def connect(settings: Settings) -> Warehouse:
    """The warehouse the settings point at."""
    if settings.target is Target.POSTGRES:
        return PostgresWarehouse(settings.pg_url)
    return DuckDBWarehouse(settings.warehouse, settings.duckdb_memory_limit)
