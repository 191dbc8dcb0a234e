"""`scorecard generate --to-sql URL`: the demo's CRM and shop tables written into a database, as
a team's CRM and shop keep them, so the SQL source can be seen working (README, Connecting
sources). The other tables stay files.

Each table gets the contract's columns plus `updated_at` (the cursor: the row's own date, so
the same arguments give the same rows) and, where the contract has no date of its own,
`snapshot_month` (the month whose export held the row: a snapshot, a line item, a lead
being worked), the period column its
source names. The tables are created afresh on the first month written."""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from pipelines.demo.files import AMOUNT_DECIMALS, ORDER_BY_DATE, PLAN_FIGURES, LandingWriter
from pipelines.extract.contract import load_contract
from pipelines.extract.sources.sql import create_engine

SQL_TABLES = ("teams", "reps", "customers", "leads", "orders", "order_items", "refunds")
# Tables whose month is a date of their own; the others (snapshots, line items, leads, which a
# month's export carries while they are worked) are kept by the month they were exported in.
PERIOD_COLUMNS = {name: ORDER_BY_DATE[name] for name in ("customers", "orders", "refunds")}
SNAPSHOT_MONTH = "snapshot_month"
CURSOR = "updated_at"


def period_column(name: str) -> str:
    """The database column that puts a row of `name` in a month."""
    return PERIOD_COLUMNS.get(name, SNAPSHOT_MONTH)


class SqlLandingWriter:
    """Writes the CRM and order tables' months into a database, the others through `files`."""

    def __init__(self, url: str, files: LandingWriter) -> None:
        self.engine = create_engine(url)
        self.files = files
        self.created: set[str] = set()

    def write(self, name: str, month: date, table: pa.Table) -> int:
        if name not in SQL_TABLES:
            return self.files.write(name, month, table)
        rows = self._with_cursor(
            name, month, table.select(load_contract().table(name).column_names)
        )
        frame = rows.to_pandas()
        types = {
            column: sa.Numeric(18, AMOUNT_DECIMALS)
            for column in frame.columns
            if frame[column].dtype.kind == "f" and column not in PLAN_FIGURES
        }
        if name not in self.created:
            with self.engine.begin() as connection:
                connection.execute(sa.text(f"drop table if exists {name}"))
            self.created.add(name)
        frame.to_sql(name, self.engine, if_exists="append", index=False, dtype=types)
        return rows.num_rows

    def _with_cursor(self, name: str, month: date, rows: pa.Table) -> pa.Table:
        if name not in PERIOD_COLUMNS:
            start = datetime(month.year, month.month, 1)
            rows = rows.append_column(SNAPSHOT_MONTH, pa.array([start] * rows.num_rows))
        stamp = rows.column(period_column(name))
        if not pa.types.is_timestamp(stamp.type):
            stamp = pc.cast(stamp, pa.timestamp("us"))
        for column in rows.column_names:  # amounts rounded as the CSV writer rounds them
            if pa.types.is_floating(rows.schema.field(column).type) and column not in PLAN_FIGURES:
                index = rows.column_names.index(column)
                rows = rows.set_column(
                    index, column, pc.round(rows.column(column), AMOUNT_DECIMALS)
                )
        return rows.append_column(CURSOR, stamp)

    def close(self) -> None:
        self.engine.dispose()


def sources_yaml(url_env: str) -> str:
    """The `sources:` block of pipeline.yaml that reads these tables back."""
    lines = ["sources:"]
    for name in SQL_TABLES:
        lines += [
            f"  {name}:",
            "    kind: sql",
            f"    url_env: {url_env}",
            f"    table: {name}",
            f"    period_column: {period_column(name)}",
        ]
    return "\n".join(lines) + "\n"
