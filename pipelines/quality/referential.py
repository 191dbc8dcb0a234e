"""The `referential_integrity` check: landed child rows whose parent key is in no landed batch.

Parents are looked up in every batch of the parent table landed so far (any month), in one
anti-join per foreign key in the warehouse. An orphan proves bad data only when the parent's
landed history is complete, i.e. starts at the pipeline's first period: a warehouse started
later (a backfill from a later month) lacks the parents created before it, so its orphans are
counted and shown but do not fail the check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pipelines.extract.contract import Table
from pipelines.periods import month_label
from pipelines.quality.landed_rows import LandedPartition, as_date, placeholders, raw_table, records
from pipelines.quality.outcomes import SAMPLE_SIZE, rows_text
from pipelines.quality.suites import ForeignKey
from pipelines.warehouse import Warehouse
from pipelines.warehouse.connection import checked_identifier


@dataclass(frozen=True)
class ForeignKeyOutcome:
    foreign_key: ForeignKey
    orphans: int
    checked: int
    history_from: date | None  # the parent's first landed month
    sample: list[dict[str, Any]]

    def judged(self, first_period: date) -> bool:
        return self.history_from is not None and self.history_from <= first_period

    def describe(self, first_period: date) -> str:
        found = f"{self.orphans:,} of {rows_text(self.checked)} without a landed parent"
        text = f"{self.foreign_key.label}: {found}"
        if self.orphans and not self.judged(first_period):
            since = month_label(self.history_from) if self.history_from else "nothing landed"
            text += (
                f" (not judged: raw.{self.foreign_key.parent_table} history starts {since}, "
                f"after the first period {month_label(first_period)})"
            )
        return text


def check_foreign_keys(
    warehouse: Warehouse,
    table: Table,
    foreign_keys: list[ForeignKey],
    partitions: list[LandedPartition],
) -> list[ForeignKeyOutcome]:
    if not partitions:
        return []
    return [_check(warehouse, table, key, partitions) for key in foreign_keys]


def _check(
    warehouse: Warehouse, table: Table, key: ForeignKey, partitions: list[LandedPartition]
) -> ForeignKeyOutcome:
    child, parent = raw_table(table.name), raw_table(key.parent_table)
    column, parent_column = checked_identifier(key.column), checked_identifier(key.parent_column)
    batch_ids = [p.batch_id for p in partitions]
    landed = (
        f"from {child} as r where r._batch_id in ({placeholders(batch_ids)}) "
        f"and r.{column} is not null"
    )
    orphan = f"not exists (select 1 from {parent} as p where p.{parent_column} = r.{column})"
    counts = warehouse.query(
        f"select count(*) as checked, count(*) filter (where {orphan}) as orphans {landed}",
        batch_ids,
    )
    orphans = int(counts["orphans"].iat[0] or 0)
    sample = []
    if orphans:
        shown = ", ".join(f"r.{c}" for c in dict.fromkeys([*table.key, column]))
        sample = records(
            warehouse.query(
                f"select {shown}, r._batch_id {landed} and {orphan} "
                f"order by {shown} limit {SAMPLE_SIZE}",
                batch_ids,
            )
        )
    history_from = warehouse.scalar(f"select min(_period) from {parent}")
    return ForeignKeyOutcome(
        foreign_key=key,
        orphans=orphans,
        checked=int(counts["checked"].iat[0] or 0),
        history_from=as_date(history_from),
        sample=sample,
    )
