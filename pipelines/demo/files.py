"""A table's month written to `<landing>/<table>/<YYYY-MM>.csv|parquet`, as the contract says.

Only contract columns are written, in contract order, rows sorted by date and key so a file
reads naturally and the same rows always give the same bytes. CSV: plain (no quotes; a value
that would need them is an error), empty = null, amounts with 2 decimals. Parquet: typed."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import IO, Literal

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as csv
import pyarrow.parquet as pq

from pipelines.extract.contract import load_contract
from pipelines.periods import month_label

FileFormat = Literal["csv", "parquet"]
FORMATS: tuple[FileFormat, ...] = ("csv", "parquet")

# The date a table's rows are ordered by within a file (before its key).
ORDER_BY_DATE = {
    "ad_spend": "date",
    "touchpoints": "occurred_at",
    "orders": "ordered_at",
    "customers": "created_at",
    "refunds": "refunded_at",
    "tickets": "opened_at",
    "surveys": "responded_at",
}

AMOUNT_DECIMALS = 2
# Plan figures (already rounded to a few significant digits) are written as short as they are.
PLAN_FIGURES = {"target_value", "value"}


class LandingWriter:
    """Writes monthly table files under one landing folder or fsspec URL."""

    def __init__(self, landing: str | Path, file_format: FileFormat) -> None:
        if file_format not in FORMATS:
            raise ValueError(f"file format '{file_format}': expected one of {', '.join(FORMATS)}")
        self.fs, self.root = fsspec.core.url_to_fs(str(landing))
        self.file_format = file_format

    def write(self, name: str, month: date, table: pa.Table) -> int:
        """Write the month's file of `name` (replacing one in the other format); its row count."""
        contract = load_contract().table(name)
        date_column = [ORDER_BY_DATE[name]] if name in ORDER_BY_DATE else []
        order = [(c, "ascending") for c in dict.fromkeys(date_column + contract.key)]
        rows = table.select(contract.column_names).sort_by(order)
        folder = f"{self.root.rstrip('/')}/{name}"
        self.fs.makedirs(folder, exist_ok=True)
        for other in FORMATS:
            stale = f"{folder}/{month_label(month)}.{other}"
            if other != self.file_format and self.fs.exists(stale):
                self.fs.rm(stale)
        with self.fs.open(f"{folder}/{month_label(month)}.{self.file_format}", "wb") as file:
            if self.file_format == "csv":
                _write_csv(rows, file)
            else:
                pq.write_table(rows, file)
        return rows.num_rows


def _write_csv(rows: pa.Table, file: IO[bytes]) -> None:
    file.write((",".join(rows.column_names) + "\n").encode())
    columns = [_as_text_number(rows[name], name) for name in rows.column_names]
    plain = pa.Table.from_arrays(columns, names=rows.column_names)
    csv.write_csv(plain, file, csv.WriteOptions(include_header=False, quoting_style="none"))


def _as_text_number(column: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    """Floats for CSV: amounts fixed-point (12.50), plan figures shortest (0.312, 23400)."""
    if not pa.types.is_floating(column.type):
        return column
    if name in PLAN_FIGURES:
        return column.cast(pa.string())
    return pc.round(column, AMOUNT_DECIMALS).cast(pa.decimal128(18, AMOUNT_DECIMALS))
