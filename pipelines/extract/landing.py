"""Land one contract table's monthly files into `raw`, quarantining rows that break the contract.

A file is read and checked set-based in DuckDB, never row by row in Python: one select parses
every value once and gives each row its reason (NULL for a good row), kept in the in-memory
database `landing` beside the warehouse (pipelines/warehouse/connection.py: on DuckDB a cursor
of the warehouse itself, so rows never leave it). The good rows, the quarantined rows and the
batch's log row are then written in one warehouse transaction by insert-selects (COPY on
PostgreSQL), so a batch lands whole or not at all. The row number a quarantined row reports is
its position in the file: the checked table keeps the file's order (DuckDB preserves insertion
order), so it is the table's rowid + 1, no window over the file. Raw is append-only: landing a
file again adds a new batch and staging reads each month's newest batch (macros/deduplicate.sql)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.channels import ChannelMapping
from pipelines.config import PipelineConfig
from pipelines.extract.channel_labels import file_channel_mapping
from pipelines.extract.contract import Table
from pipelines.extract.csv_errors import first_broken_line
from pipelines.extract.files import (
    LandingError,
    LandingFile,
    check_readable,
    local_copy,
)
from pipelines.extract.sources import FILES, Source, extract
from pipelines.extract.validation import bound_parameters, checked_select
from pipelines.failpoints import failpoint
from pipelines.periods import month_label
from pipelines.warehouse import Warehouse
from pipelines.warehouse.connection import LANDING_DATABASE, sql_string


@dataclass(frozen=True)
class LandedBatch:
    """What one file contributed: the figures a person and the quality gate look at."""

    table: str
    period: date
    batch_id: str
    source: str | None
    rows_read: int
    rows_landed: int
    rows_quarantined: int
    source_watermark: datetime | None = None
    notes: tuple[str, ...] = ()

    @property
    def quarantined_share(self) -> float:
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0

    def as_log_row(self) -> pa.Table:
        """The batch as one row of `quality.landed_batches`."""
        return pa.table(
            {
                "batch_id": [self.batch_id],
                "table_name": [self.table],
                "period": pa.array([self.period], pa.date32()),
                "source": [self.source],
                "rows_read": pa.array([self.rows_read], pa.int64()),
                "rows_landed": pa.array([self.rows_landed], pa.int64()),
                "rows_quarantined": pa.array([self.rows_quarantined], pa.int64()),
                "loaded_at": pa.array([datetime.now(UTC).replace(tzinfo=None)], pa.timestamp("us")),
                "source_watermark": pa.array([self.source_watermark], pa.timestamp("us")),
            }
        )


@dataclass(frozen=True)
class LandingRules:
    """What the checks compare against: the known channels and how raw labels map to them, the
    reporting currency, the clock."""

    channels: list[str]
    currencies: list[str]
    now: datetime
    channel_mapping: ChannelMapping = field(default_factory=ChannelMapping)

    @classmethod
    def configured(cls, config: PipelineConfig, currency: str) -> LandingRules:
        """The rules of the pipeline configuration, on the clock of now."""
        return cls(
            channels=list(config.channels),
            currencies=[currency],
            now=datetime.now(UTC),
            channel_mapping=config.channel_mapping,
        )


def land_table(
    warehouse: Warehouse,
    landing: str,
    table: Table,
    months: list[date],
    rules: LandingRules,
    source: Source = FILES,
) -> list[LandedBatch]:
    """Land `table`'s rows of each month from its source: a file (a month without one lands no
    batch), a database table or an API; bad input raises LandingError naming file or table and
    column."""
    batches = []
    reader = warehouse.file_reader()
    try:
        for month in months:
            with extract(source, landing, table, month, warehouse) as file:
                if file is not None:
                    batches.append(write_batch(warehouse, read_file(reader, table, file, rules)))
    finally:
        reader.close()
    return batches


@dataclass(frozen=True)
class CheckedFile:
    """A file read and checked, not yet written: its batch figures, and the name of the
    `landing` table of its checked rows in the connection that read it."""

    batch: LandedBatch
    reader: duckdb.DuckDBPyConnection
    checked: str
    loaded_at: datetime


def read_file(
    reader: duckdb.DuckDBPyConnection, table: Table, file: LandingFile, rules: LandingRules
) -> CheckedFile:
    """Read `file` and check every row against the contract in `reader` (a warehouse's
    `file_reader()`, one per thread: files can be read side by side and written one at a
    time)."""
    key = uuid.uuid4().hex[:12]
    batch_id = f"{table.name}-{month_label(file.month)}-{key}"
    checked = f"checked_{key}"
    with local_copy(file) as path:
        check_readable(path, file)
        source = _text_source(reader, table, file, path)
        try:  # a malformed line shows when the file is read through
            channels = file_channel_mapping(
                reader, table, source, rules.channel_mapping, rules.channels
            )
            parameters = bound_parameters(
                table, currencies=rules.currencies, now=rules.now, channels=channels
            )
            reader.execute(
                f"create table {LANDING_DATABASE}.{checked} as {checked_select(table, source)}",
                parameters,
            )
        except (duckdb.InvalidInputException, duckdb.IOException) as error:
            raise _unreadable(table, file, path, error) from None
    rows_read, rows_quarantined = reader.execute(
        f"select count(*), count(_reason) from {LANDING_DATABASE}.{checked}"
    ).fetchone()
    batch = LandedBatch(
        table=table.name,
        period=file.month,
        batch_id=batch_id,
        source=file.url,
        rows_read=rows_read,
        rows_landed=rows_read - rows_quarantined,
        rows_quarantined=rows_quarantined,
        source_watermark=file.watermark,
        notes=file.notes,
    )
    return CheckedFile(batch, reader, checked, datetime.now(UTC).replace(tzinfo=None))


def write_batch(warehouse: Warehouse, checked: CheckedFile) -> LandedBatch:
    """The file's good rows, quarantined rows and log row, in one warehouse transaction."""
    batch = checked.batch
    parameters = {
        "batch_id": batch.batch_id,
        "source": batch.source,
        "period": batch.period,
        "loaded_at": checked.loaded_at,
    }
    try:
        with warehouse.transaction():
            warehouse.append_select(
                checked.reader,
                f"raw.{batch.table}",
                _GOOD_ROWS.format(checked=f"{LANDING_DATABASE}.{checked.checked}"),
                parameters,
            )
            warehouse.append_select(
                checked.reader,
                "quality.quarantine",
                _QUARANTINED_ROWS.format(checked=f"{LANDING_DATABASE}.{checked.checked}"),
                {**parameters, "table_name": batch.table},
            )
            warehouse.insert_arrow("quality.landed_batches", batch.as_log_row())
    finally:
        warehouse.drop_landing_table(checked.reader, checked.checked)
    failpoint("landing.after_batch")
    return batch


# The checked rows as they are written: good rows with their batch columns, bad rows with
# reason, place in the file and original values. `{checked}` is a generated table name.
_GOOD_ROWS = """
    select
        * exclude (_reason, _original_row),
        cast($batch_id as varchar) as _batch_id,
        cast($source as varchar) as _source,
        cast($period as date) as _period,
        cast($loaded_at as timestamp) as _loaded_at
    from {checked}
    where _reason is null
"""
_QUARANTINED_ROWS = """
    select
        cast($loaded_at as timestamp) as quarantined_at,
        cast($batch_id as varchar) as batch_id,
        cast($table_name as varchar) as table_name,
        cast($period as date) as period,
        cast($source as varchar) as source,
        rowid + 1 as source_row,
        _reason as reason,
        _original_row as original_row
    from {checked}
    where _reason is not null
"""


def _text_source(
    reader: duckdb.DuckDBPyConnection, table: Table, file: LandingFile, path: Path
) -> str:
    """A select of the file's contract columns as text, in file order, after checking that the
    file reads and has exactly the contract's columns."""
    if file.format == "csv":
        function = (
            "read_csv({path}, delim = ',', quote = '\"', escape = '\"', header = true, "
            "all_varchar = true, strict_mode = true, null_padding = false, skip = 0)"
        )
    else:
        function = "read_parquet({path})"
    source = function.format(path=sql_string(str(path)))
    try:
        columns = [row[0] for row in reader.execute(f"describe select * from {source}").fetchall()]
    except duckdb.Error as error:
        raise _unreadable(table, file, path, error) from None
    _check_columns(table, file, columns)
    as_text = ", ".join(f"cast({name} as varchar) as {name}" for name in table.column_names)
    return f"(select {as_text} from {source})"


def _unreadable(table: Table, file: LandingFile, path: Path, error: duckdb.Error) -> LandingError:
    """The file's first bad line when a scan finds it (CSV), else DuckDB's first line: the
    file fails whole, nothing of it lands (see README, Data quality: a file replaces its month,
    so landing it without a line would retract that line's row)."""
    found = first_broken_line(path) if file.format == "csv" else None
    problem = found or str(error).splitlines()[0]
    return LandingError(
        f"{file.url}: cannot be read as {file.format.upper()} for table '{table.name}': {problem}"
    )


def _check_columns(table: Table, file: LandingFile, columns: list[str]) -> None:
    """The header names the contract's columns, in any order. A first line that names none of
    them while having as many fields is data, not a header: said so, its values not echoed
    (they may be personal data)."""
    expected = table.column_names
    missing = [c for c in expected if c not in columns]
    unexpected = [c for c in columns if c not in expected]
    if file.format == "csv" and len(missing) == len(expected) == len(columns):
        raise LandingError(
            f"{file.url}: line 1 is not a header: none of its {len(columns)} fields names a "
            f"column of '{table.name}' (the first line holds data?); expected the header line "
            f"{','.join(expected)}"
        )
    if missing or unexpected:
        problems = [f"column '{c}' is missing" for c in missing]
        problems += [f"column '{c}' is not in the contract" for c in unexpected]
        raise LandingError(
            f"{file.url}: {'; '.join(problems)}; expected the columns of '{table.name}': "
            f"{', '.join(expected)}"
        )
