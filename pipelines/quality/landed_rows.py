"""SQL over the rows a run just landed: its batches, each with its partition month's window.

Portable between DuckDB and PostgreSQL: `?` placeholders, values bound, never SQL text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipelines.periods import add_months, month_label


@dataclass(frozen=True)
class LandedPartition:
    """One landed batch and the month its file was landed for."""

    batch_id: str
    period: date

    @property
    def window_row(self) -> tuple[object, ...]:
        """(batch_id, first day, next month's first day, 'YYYY-MM', 'YYYY-Qn')."""
        quarter = f"{self.period.year:04d}-Q{(self.period.month - 1) // 3 + 1}"
        return (
            self.batch_id,
            self.period,
            add_months(self.period, 1),
            month_label(self.period),
            quarter,
        )


def batches_cte(partitions: list[LandedPartition]) -> tuple[str, list[object]]:
    """`batches (batch_id, period_start, period_end, month_label, quarter_label)` as a CTE."""
    row = (
        "(cast(? as varchar), cast(? as timestamp), cast(? as timestamp), "
        "cast(? as varchar), cast(? as varchar))"
    )
    sql = (
        "batches (batch_id, period_start, period_end, month_label, quarter_label) as "
        f"(values {', '.join(row for _ in partitions)})"
    )
    return sql, [value for p in partitions for value in p.window_row]


def placeholders(values: list[object]) -> str:
    return ", ".join("?" for _ in values)
