"""The `row_count_trend` check: a month's landed rows against its trailing months' mean.

A month counts with its latest landed batch (a re-sent file replaces the earlier one), so each
landed partition is compared with the mean of the previous `trailing_periods` months that have a
batch, landed earlier or in the same run. A month without any earlier month has no history and
passes, saying so. A month of the run without a file, for a table that sent files for earlier
months, is flagged too ("no file for 2025-03"): a gap in a source in use, never a block (the
check is a warning in config/quality.yaml), since a business may have nothing to send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipelines.extract.contract import Table
from pipelines.periods import add_months, month_label
from pipelines.quality.landed_rows import LandedPartition, as_date, raw_table
from pipelines.quality.policy import TrendPolicy
from pipelines.warehouse import Warehouse


@dataclass(frozen=True)
class MonthTrend:
    period: date
    rows: int
    trailing: list[int]  # rows of the previous months that have a batch, nearest first

    @property
    def mean(self) -> float | None:
        return sum(self.trailing) / len(self.trailing) if self.trailing else None

    def within(self, factor: float) -> bool:
        mean = self.mean
        return mean is None or mean / factor <= self.rows <= mean * factor

    def describe(self) -> str:
        month = month_label(self.period)
        if self.mean is None:
            return f"{month}: {self.rows:,} rows, no earlier month landed (no history)"
        return (
            f"{month}: {self.rows:,} rows vs mean {self.mean:,.0f} "
            f"of the {len(self.trailing)} months before"
        )


def row_count_trends(
    warehouse: Warehouse, table: Table, partitions: list[LandedPartition], policy: TrendPolicy
) -> list[MonthTrend]:
    """One trend per landed partition, from the rows of every batch in the months involved."""
    if not partitions:
        return []
    first = add_months(min(p.period for p in partitions), -policy.trailing_periods)
    last = max(p.period for p in partitions)
    counts = warehouse.query(
        "select _period, _batch_id, max(_loaded_at) as loaded_at, count(*) as row_count "
        f"from {raw_table(table.name)} where _period between ? and ? "
        "group by _period, _batch_id order by loaded_at, _batch_id",
        [first, last],
    )
    latest = {  # ordered by load time: the last batch of a month wins
        as_date(period): int(rows)
        for period, rows in zip(counts["_period"], counts["row_count"], strict=True)
    }
    by_batch = dict(zip(counts["_batch_id"], counts["row_count"], strict=True))
    trends = []
    for partition in sorted(partitions, key=lambda p: p.period):
        previous = [add_months(partition.period, -i) for i in range(1, policy.trailing_periods + 1)]
        trends.append(
            MonthTrend(
                period=partition.period,
                rows=int(by_batch.get(partition.batch_id, 0)),
                trailing=[latest[month] for month in previous if month in latest],
            )
        )
    return trends


def months_without_file(warehouse: Warehouse, table: Table, months: list[date]) -> list[date]:
    """The run's months with no file landed for `table`, after its first landed month (from
    quality.landed_batches, which logs every landed file, a header-only one too)."""
    landed = warehouse.query(
        "select distinct period from quality.landed_batches where table_name = ?", [table.name]
    )
    periods = {as_date(period) for period in landed["period"]}
    if not periods:
        return []
    first = min(p for p in periods if p is not None)
    return [month for month in sorted(months) if month > first and month not in periods]
