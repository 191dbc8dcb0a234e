"""Land one contract table's monthly files into `raw`, quarantining rows that break the contract.

Files are read and checked by an in-memory DuckDB (set-based, never row by row in Python); the
good rows and the quarantined rows are then written to the warehouse in one transaction, so a
batch lands whole or not at all. Raw is append-only: landing a file again adds a new batch and
staging keeps the latest row per key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa

from pipelines.channels import ChannelMapping
from pipelines.config import PipelineConfig
from pipelines.extract.channel_labels import add_mapped_channels
from pipelines.extract.contract import Table
from pipelines.extract.files import LandingError, LandingFile, find_file, local_copy
from pipelines.extract.validation import bound_parameters, reason_expression, typed_select_list
from pipelines.failpoints import failpoint
from pipelines.periods import month_label
from pipelines.warehouse import Warehouse


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
    warehouse: Warehouse, landing: str, table: Table, months: list[date], rules: LandingRules
) -> list[LandedBatch]:
    """Land `table`'s file of each month that has one (a month without a file lands no batch);
    a bad file raises LandingError naming file and column."""
    batches = []
    with duckdb.connect() as scratch:
        for month in months:
            file = find_file(landing, table.name, month)
            if file is not None:
                batches.append(write_batch(warehouse, read_file(scratch, table, file, rules)))
    return batches


@dataclass(frozen=True)
class CheckedFile:
    """A file read and checked in a scratch DuckDB, not yet written: its batch figures, typed good
    rows and quarantined rows."""

    batch: LandedBatch
    good: pa.Table
    quarantined: pa.Table


def read_file(
    scratch: duckdb.DuckDBPyConnection, table: Table, file: LandingFile, rules: LandingRules
) -> CheckedFile:
    """Read `file` and check every row against the contract in `scratch` (one connection per
    thread: files can be read side by side and written one at a time)."""
    batch_id = f"{table.name}-{month_label(file.month)}-{uuid.uuid4().hex[:12]}"
    with local_copy(file) as path:
        _read_as_text(scratch, table, file, str(path))
    good, quarantined = _split(scratch, table, file, batch_id, rules)
    batch = LandedBatch(
        table=table.name,
        period=file.month,
        batch_id=batch_id,
        source=file.url,
        rows_read=good.num_rows + quarantined.num_rows,
        rows_landed=good.num_rows,
        rows_quarantined=quarantined.num_rows,
    )
    return CheckedFile(batch, good, quarantined)


def write_batch(warehouse: Warehouse, checked: CheckedFile) -> LandedBatch:
    """The file's good rows, quarantined rows and log row, in one warehouse transaction."""
    with warehouse.transaction():
        warehouse.insert_arrow(f"raw.{checked.batch.table}", checked.good)
        warehouse.insert_arrow("quality.quarantine", checked.quarantined)
        warehouse.insert_arrow("quality.landed_batches", checked.batch.as_log_row())
    failpoint("landing.after_batch")
    return checked.batch


def _read_as_text(
    scratch: duckdb.DuckDBPyConnection, table: Table, file: LandingFile, path: str
) -> None:
    """Load the file into `incoming` with every contract column as text and a 1-based `_row`."""
    if file.format == "csv":
        reader = (
            "read_csv(?, delim = ',', quote = '\"', escape = '\"', header = true, "
            "all_varchar = true, strict_mode = true, null_padding = false)"
        )
    else:
        reader = "read_parquet(?)"
    try:
        columns = [
            row[0] for row in scratch.execute(f"describe select * from {reader}", [path]).fetchall()
        ]
        _check_columns(table, file, columns)
        as_text = ", ".join(f"cast({name} as varchar) as {name}" for name in table.column_names)
        scratch.execute(
            f"create or replace table incoming as "
            f"select {as_text}, row_number() over () as _row from {reader}",
            [path],
        )
    except duckdb.Error as error:
        raise LandingError(
            f"{file.url}: cannot be read as {file.format.upper()} for table '{table.name}': "
            f"{str(error).splitlines()[0]}"
        ) from None


def _check_columns(table: Table, file: LandingFile, columns: list[str]) -> None:
    expected = table.column_names
    missing = [c for c in expected if c not in columns]
    unexpected = [c for c in columns if c not in expected]
    if missing or unexpected:
        problems = [f"column '{c}' is missing" for c in missing]
        problems += [f"column '{c}' is not in the contract" for c in unexpected]
        raise LandingError(
            f"{file.url}: {'; '.join(problems)}; expected the columns of '{table.name}': "
            f"{', '.join(expected)}"
        )


def _split(
    scratch: duckdb.DuckDBPyConnection,
    table: Table,
    file: LandingFile,
    batch_id: str,
    rules: LandingRules,
) -> tuple[pa.Table, pa.Table]:
    """Typed good rows with batch columns, and quarantine rows with reason and original values."""
    add_mapped_channels(scratch, table, rules.channel_mapping, rules.channels)
    parameters = bound_parameters(table, currencies=rules.currencies, now=rules.now)
    scratch.execute(
        f"create or replace table checked as "
        f"select *, {reason_expression(table)} as _reason from incoming",
        parameters,
    )
    batch = {
        "batch_id": batch_id,
        "source": file.url,
        "period": file.month,
        "loaded_at": datetime.now(UTC).replace(tzinfo=None),
    }
    good = scratch.execute(
        f"""
        select
            {typed_select_list(table)},
            cast($batch_id as varchar) as _batch_id,
            cast($source as varchar) as _source,
            cast($period as date) as _period,
            cast($loaded_at as timestamp) as _loaded_at
        from checked
        where _reason is null
        order by _row
        """,
        batch,
    ).fetch_arrow_table()
    original = ", ".join(f"{name} := {name}" for name in table.column_names)
    quarantined = scratch.execute(
        f"""
        select
            cast($loaded_at as timestamp) as quarantined_at,
            cast($batch_id as varchar) as batch_id,
            cast($table_name as varchar) as table_name,
            cast($period as date) as period,
            cast($source as varchar) as source,
            _row as source_row,
            _reason as reason,
            cast(to_json(struct_pack({original})) as varchar) as original_row
        from checked
        where _reason is not null
        order by _row
        """,
        {**batch, "table_name": table.name},
    ).fetch_arrow_table()
    return good, quarantined
