"""A contract table read from a SQL database through dlt's `sql_database` source.

dlt reads the month's rows as Arrow (its pyarrow backend), renamed to the contract's columns and
written to a Parquet file in a temporary folder; that file then goes through the same landing
path as a file sent by a person (pipelines/extract/landing.py), so row checks, quarantine,
batch columns and lineage are one code path. A month lands whole, as a file does: staging reads
each month's newest batch, so a row updated late is picked up by re-landing its month and a row
deleted at the source leaves with it. The cursor column (`updated_at`) says which months
changed since the watermark (the newest cursor value landed, kept per table in
`quality.landed_batches.source_watermark`): `changed_months` extracts only the rows past it.

A month landed before from the same table re-lands incrementally: only its rows whose cursor is
past that batch's watermark are read whole, plus the month's keys (to see deletes and rows moved
to another month); every other row is kept from the previous batch in the warehouse. A previous
batch with quarantined rows is not a complete copy of the month, so that month is read whole."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa
from dlt.sources.sql_database import sql_table

from pipelines.extract.contract import ColumnType, Table
from pipelines.extract.files import LandingError, LandingFile
from pipelines.extract.sources.config import SqlSource
from pipelines.extract.sources.errors import SourceUnavailable
from pipelines.periods import month_label
from pipelines.warehouse import Warehouse
from pipelines.warehouse.connection import checked_identifier

# The drivers the project installs, for URLs that name none (SQLAlchemy would pick psycopg 3
# and mysqlclient).
DEFAULT_DRIVERS = {
    "postgresql": "postgresql+psycopg2",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}
T = TypeVar("T")
QUERY_ALIAS = "source_query"
QUERY_COLUMN_TYPES: dict[ColumnType, sa.types.TypeEngine] = {
    ColumnType.STRING: sa.String(),
    ColumnType.INTEGER: sa.BigInteger(),
    ColumnType.DECIMAL: sa.Numeric(38, 9),
    ColumnType.DATE: sa.Date(),
    ColumnType.TIMESTAMP: sa.DateTime(),
}
CONNECT_ATTEMPTS = 4
FIRST_BACKOFF_SECONDS = 0.5


def engine_for(source: SqlSource, table: Table) -> sa.Engine:
    """An engine on the URL in the source's environment variable."""
    url = os.environ.get(source.url_env)
    if not url:
        raise LandingError(
            f"sources.{table.name}: the environment variable {source.url_env} is not set; "
            "expected the database's connection URL in it"
        )
    try:
        return create_engine(url)
    except sa.exc.ArgumentError:
        raise LandingError(
            f"sources.{table.name}: {source.url_env} holds no database URL; "
            "expected e.g. postgresql://user@host:5432/db"
        ) from None
    except ImportError as error:
        raise LandingError(
            f"sources.{table.name}: the database driver of {source.url_env} is not installed "
            f"({error.name}); expected a postgresql, mysql, mariadb or sqlite URL"
        ) from None


def create_engine(url: str) -> sa.Engine:
    """An engine on `url`, with the project's driver where the URL names none."""
    parsed = sa.engine.make_url(url)
    driver = DEFAULT_DRIVERS.get(parsed.drivername)
    return sa.create_engine(parsed.set(drivername=driver) if driver else parsed)


def relation_name(source: SqlSource) -> str:
    """The table's name, or for a query `query-<first 8 hex digits of its SHA-1>`."""
    if source.table:
        return source.table
    return f"query-{hashlib.sha1(str(source.query).encode()).hexdigest()[:8]}"


def location(engine: sa.Engine, source: SqlSource) -> str:
    """Where the rows come from, without credentials: `postgresql://host:5432/db/table`."""
    url = engine.url
    backend = url.get_backend_name()
    if backend == "sqlite":
        return f"sqlite:///{url.database}/{relation_name(source)}"
    port = f":{url.port}" if url.port else ""
    return f"{backend}://{url.host or ''}{port}/{url.database}/{relation_name(source)}"


def reflect(engine: sa.Engine, source: SqlSource, table: Table) -> sa.Table:
    """The source table, after checking it has every mapped column (retrying while the
    database does not answer). Drift is named: missing columns, and the columns the table has
    that nothing maps (a rename shows as one of each)."""
    reflected = _with_retries(source, table, lambda: _relation(engine, source, table))
    present = set(reflected.columns.keys())
    wanted = _wanted(source, table)
    missing = [c for c in _wanted(source, table) if c not in present]
    if missing:
        unmapped = sorted(present - wanted.keys())
        described = ", ".join(
            f"column '{c}'" + (f" (contract column {wanted[c]})" if wanted[c] != c else "")
            for c in missing
        )
        raise LandingError(
            f"{location(engine, source)}: {described} "
            f"{'is' if len(missing) == 1 else 'are'} missing for table '{table.name}'"
            + (f"; columns nothing maps: {', '.join(unmapped)} (renamed?" if unmapped else "")
            + (f" map them under sources.{table.name}.columns)" if unmapped else "")
        )
    return reflected


def _relation(engine: sa.Engine, source: SqlSource, table: Table) -> sa.Table:
    """The table, reflected; for a query, a table of its result's columns (read from the query
    run to return no row), typed by the contract column each fills (a driver such as SQLite's
    reports no types of a query's result), which dlt then uses without reflecting anything."""
    if source.table:
        schema, _, name = source.table.rpartition(".")
        return sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=engine)
    with engine.connect() as connection:
        names = connection.execute(
            sa.select(sa.text("*")).select_from(_query_relation(source, None)).where(sa.false())
        ).keys()
    roles = _wanted(source, table)
    return sa.Table(
        QUERY_ALIAS,
        sa.MetaData(),
        *(sa.Column(name, _query_column_type(table, roles.get(name))) for name in names),
    )


def _query_column_type(table: Table, role: str | None) -> sa.types.TypeEngine | None:
    """The SQLAlchemy type a query column is read as: its contract column's, a timestamp for
    the cursor and period columns, none (as the driver gives it) for any other."""
    if role is None:
        return None
    if role not in table.columns:
        return sa.DateTime()
    return QUERY_COLUMN_TYPES.get(table.columns[role].type)


def _query_relation(source: SqlSource, reflected: sa.Table | None) -> sa.Subquery:
    """The configured query as a subquery (its columns named and typed once known)."""
    text = sa.text(str(source.query))
    if reflected is None:
        return text.columns().subquery(QUERY_ALIAS)
    typed = (sa.column(column.name, column.type) for column in reflected.columns)
    return text.columns(*typed).subquery(QUERY_ALIAS)


def _wanted(source: SqlSource, table: Table) -> dict[str, str]:
    """The database columns read, each with the contract column (or role) it fills."""
    wanted = {source.source_column(c): c for c in table.column_names}
    wanted[source.cursor] = source.cursor
    if source.period_column:
        wanted[source.period_column] = source.period_column
    return wanted


def new_columns_note(
    engine: sa.Engine, source: SqlSource, table: Table, reflected: sa.Table
) -> str:
    """Schema drift that loses nothing: columns the database added that nothing maps, named so
    a person can map them (they are not read)."""
    new = sorted(set(reflected.columns.keys()) - _wanted(source, table).keys())
    if not new:
        return ""
    return (
        f"{location(engine, source)}: column(s) {', '.join(new)} not in the contract of table "
        f"'{table.name}' (new? not read; map one under sources.{table.name}.columns)"
    )


@dataclass(frozen=True)
class PreviousBatch:
    """The month's newest landed batch, read from the same database table, complete (nothing
    quarantined) and with a watermark: the base of an incremental re-extract."""

    batch_id: str
    watermark: datetime


@contextmanager
def extract_month(
    source: SqlSource, table: Table, month: date, warehouse: Warehouse | None = None
) -> Iterator[LandingFile]:
    """The month's rows as a Parquet file with the contract's columns (every row of the table
    when it has no period column), its lineage naming the table and the cursor range. Given the
    warehouse, a month landed before from this table is re-extracted incrementally."""
    engine = engine_for(source, table)
    try:
        reflected = reflect(engine, source, table)
        notes = [note] if (note := new_columns_note(engine, source, table, reflected)) else []
        previous = (
            previous_batch(warehouse, table, month, location(engine, source))
            if warehouse is not None and source.period_column
            else None
        )
        since = previous.watermark if previous else None
        rows = _with_retries(
            source, table, lambda: _read_month(engine, source, table, reflected, month, since)
        )
        label = f"{location(engine, source)}?{source.cursor}={_range(rows, source.cursor)}"
        if previous:
            keys = _with_retries(
                source,
                table,
                lambda: _read_month(engine, source, table, reflected, month, columns=table.key),
            )
            landed, kept = _merged(
                warehouse, table, previous, _as_contract(rows, source, table), keys
            )
            label += f"&since={previous.watermark:%Y-%m-%dT%H:%M:%S}"
            notes.append(
                f"{label}: incremental, {rows.num_rows} row(s) changed since the watermark "
                f"read, {kept} kept from batch {previous.batch_id}"
            )
        else:
            landed = _as_contract(rows, source, table)
    finally:
        engine.dispose()
    watermark = max(filter(None, [_max(rows, source.cursor), since]), default=None)
    if source.period_column:
        label += f"&{source.period_column}={month_label(month)}"
    with tempfile.TemporaryDirectory(prefix="scorecard-sql-") as folder:
        path = Path(folder) / f"{month_label(month)}.parquet"
        pq.write_table(landed, path)
        yield LandingFile(
            table=table.name,
            month=month,
            url=label,
            format="parquet",
            local=path,
            watermark=watermark,
            notes=tuple(notes),
        )


def previous_batch(
    warehouse: Warehouse, table: Table, month: date, where: str
) -> PreviousBatch | None:
    """The month's newest batch when it came from the database table at `where`, with a
    watermark and no quarantined row; else None (the month is read whole)."""
    rows = warehouse.rows(
        "select batch_id, source, source_watermark, rows_quarantined "
        "from quality.landed_batches where table_name = ? and period = ? "
        "order by loaded_at desc, batch_id desc limit 1",
        [table.name, month],
    )
    if not rows:
        return None
    [newest] = rows
    complete = newest.rows_quarantined == 0 and newest.source_watermark is not None
    if not complete or not str(newest.source).startswith(f"{where}?"):
        return None
    return PreviousBatch(str(newest.batch_id), newest.source_watermark)


def _merged(
    warehouse: Warehouse, table: Table, previous: PreviousBatch, changed: pa.Table, keys: pa.Table
) -> tuple[pa.Table, int]:
    """The month as the source holds it now: the changed rows, and the previous batch's rows
    whose key the month still holds and no changed row replaces; all as text (landing parses
    it as it parses a file). Also the number of rows kept."""
    columns = [checked_identifier(name) for name in table.column_names]
    as_text = ", ".join(f"cast({name} as varchar) as {name}" for name in columns)
    kept = warehouse.query(
        f"select {as_text} from raw.{checked_identifier(table.name)} where _batch_id = ?",
        [previous.batch_id],
    )
    kept_rows = pa.Table.from_pandas(kept, preserve_index=False) if len(kept) else None

    def same_key(left: str, right: str) -> str:
        return " and ".join(
            f"cast({left}.{key} as varchar) = cast({right}.{key} as varchar)" for key in table.key
        )

    with duckdb.connect() as local:
        local.register("changed_rows", changed)
        if kept_rows is None:
            return local.execute(f"select {as_text} from changed_rows").fetch_arrow_table(), 0
        local.register("kept_rows", kept_rows)
        local.register("month_keys", keys)
        local.execute(
            f"""
            create temporary table still_kept as
            select * from kept_rows
            where exists (select 1 from month_keys where {same_key("month_keys", "kept_rows")})
                and not exists (
                    select 1 from changed_rows where {same_key("changed_rows", "kept_rows")}
                )
            """
        )
        merged = local.execute(
            f"select {as_text} from changed_rows union all select {as_text} from still_kept"
        ).fetch_arrow_table()
        return merged, merged.num_rows - changed.num_rows


def changed_months(source: SqlSource, table: Table, since: datetime | None) -> list[date]:
    """The months holding a row whose cursor is past `since` (every month when None): only
    those rows are read, their period and cursor columns."""
    if source.period_column is None:
        raise LandingError(f"sources.{table.name}: changed months need a period_column")
    months = set()
    for part in changed_rows(source, table, since, [source.period_column, source.cursor]):
        for value in part.column(source.period_column).to_pylist():
            if value is not None:
                months.add(date(value.year, value.month, 1))
    return sorted(months)


def has_changes(source: SqlSource, table: Table, since: datetime | None) -> bool:
    """Whether any row's cursor is past `since`."""
    return any(part.num_rows for part in changed_rows(source, table, since, [source.cursor]))


def changed_rows(
    source: SqlSource, table: Table, since: datetime | None, columns: list[str]
) -> list[pa.Table]:
    """`columns` (database names) of the rows whose cursor is past `since`."""
    engine = engine_for(source, table)
    try:
        reflected = reflect(engine, source, table)
        return _with_retries(
            source,
            table,
            lambda: _selected(engine, source, reflected, columns, _cursor_past(source, since)),
        )
    finally:
        engine.dispose()


Conditions = Callable[[sa.FromClause], list[sa.ColumnElement[bool]]]


def _cursor_past(source: SqlSource, since: datetime | None) -> Conditions:
    return lambda relation: [] if since is None else [relation.c[source.cursor] > since]


def _selected(
    engine: sa.Engine,
    source: SqlSource,
    reflected: sa.Table,
    columns: list[str],
    conditions: Conditions,
) -> list[pa.Table]:
    """`columns` of the table or query's rows that meet `conditions` (bound parameters), read
    by dlt's sql_table on its pyarrow backend; the non-empty parts."""
    included = list(dict.fromkeys(columns))

    def adapted(
        query: sa.Select, selected: sa.Table, incremental: object = None, engine: object = None
    ) -> sa.Select:
        relation: sa.FromClause = selected
        if source.query:
            relation = _query_relation(source, reflected)
            query = sa.select(*(relation.c[name] for name in included))
        for condition in conditions(relation):
            query = query.where(condition)
        return query

    resource = sql_table(
        credentials=engine,
        table=reflected.name,
        schema=reflected.schema,
        metadata=reflected.metadata,
        backend="pyarrow",
        included_columns=included,
        query_adapter_callback=adapted,
    )
    return [part for part in resource if part.num_rows]


def _read_month(
    engine: sa.Engine,
    source: SqlSource,
    table: Table,
    reflected: sa.Table,
    month: date,
    since: datetime | None = None,
    columns: list[str] | None = None,
) -> pa.Table:
    """The month's rows (every row without a period column): the contract's `columns` (all by
    default, named as the database names them), only those whose cursor is past `since`."""
    included = [source.source_column(c) for c in columns or table.column_names]
    included = list(
        dict.fromkeys([*included, source.cursor, source.period_column or source.cursor])
    )
    start, end = _month_bounds(month)

    def in_month(relation: sa.FromClause) -> list[sa.ColumnElement[bool]]:
        window = []
        if source.period_column:
            column = relation.c[source.period_column]
            window = [column >= start, column < end]
        return [*window, *_cursor_past(source, since)(relation)]

    parts = _selected(engine, source, reflected, included, in_month)
    if not parts:
        return pa.table({name: pa.array([], pa.string()) for name in included})
    rows = pa.concat_tables(parts, promote_options="permissive")
    if columns is None:
        return rows
    return rows.rename_columns(
        [next((c for c in columns if source.source_column(c) == n), n) for n in rows.column_names]
    )


def _as_contract(rows: pa.Table, source: SqlSource, table: Table) -> pa.Table:
    """The contract's columns, in its order, timestamps with a zone turned to UTC wall time."""
    columns = {}
    for name in table.column_names:
        column = rows.column(source.source_column(name))
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            column = pc.cast(column, pa.timestamp("us", "UTC")).cast(pa.timestamp("us"))
        columns[name] = column
    return pa.table(columns)


def _month_bounds(month: date) -> tuple[datetime, datetime]:
    after = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return datetime(month.year, month.month, 1), datetime(after.year, after.month, 1)


def _max(rows: pa.Table, column: str) -> datetime | None:
    if not rows.num_rows:
        return None
    value = pc.max(rows.column(column)).as_py()
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _range(rows: pa.Table, column: str) -> str:
    if not rows.num_rows:
        return "none"
    low, high = pc.min_max(rows.column(column)).values()
    return f"{low.as_py():%Y-%m-%dT%H:%M:%S}..{high.as_py():%Y-%m-%dT%H:%M:%S}"


def _with_retries(source: SqlSource, table: Table, action: Callable[[], T]) -> T:
    """`action`, tried again with exponential back-off while the database cannot be reached."""
    delay = FIRST_BACKOFF_SECONDS
    for attempt in range(1, CONNECT_ATTEMPTS + 1):
        try:
            return action()
        except sa.exc.NoSuchTableError:
            raise LandingError(
                f"sources.{table.name}: the database has no table '{relation_name(source)}'"
            ) from None
        except Exception as error:
            if not _unreachable(error):
                raise
            if attempt == CONNECT_ATTEMPTS:
                raise SourceUnavailable(
                    f"raw.{table.name}: the database in {source.url_env} did not answer "
                    f"after {CONNECT_ATTEMPTS} attempts: {_first_line(error)}; nothing landed"
                ) from None
            time.sleep(delay)
            delay *= 2
    raise AssertionError("CONNECT_ATTEMPTS is at least 1")


def _unreachable(error: BaseException) -> bool:
    """An operational error anywhere in the chain (dlt wraps the driver's errors)."""
    while error is not None:
        if isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError):
            return True
        error = error.__cause__ or error.__context__
    return False


def _first_line(error: BaseException) -> str:
    while error.__cause__ or error.__context__:
        error = error.__cause__ or error.__context__
    return str(error).splitlines()[0] if str(error) else type(error).__name__
