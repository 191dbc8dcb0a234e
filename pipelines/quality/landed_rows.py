"""SQL over the rows a run just landed: its batches, each with its partition month's window.

Portable between DuckDB and PostgreSQL: `?` placeholders, values bound, never SQL text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from pipelines.periods import add_months, month_label
from pipelines.warehouse.connection import checked_identifier


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


def raw_table(name: str) -> str:
    return f"raw.{checked_identifier(name)}"


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Sampled rows for a verdict's JSON details: missing values as None, dates as text."""
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{k: (str(v) if hasattr(v, "isoformat") else v) for k, v in row.items()} for row in rows]


def as_date(value: object) -> date | None:
    """A date the warehouse returned: a pandas Timestamp from DuckDB, a date from PostgreSQL."""
    if value is None or value != value:  # NULL, or NaT
        return None
    return value.date() if isinstance(value, pd.Timestamp) else value  # type: ignore[return-value]
