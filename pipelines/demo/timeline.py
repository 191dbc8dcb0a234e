"""Time as the simulation counts it: whole seconds since 1970 (UTC), and months as windows of them.

Integer seconds keep every draw vectorised and every file free of sub-second noise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import numpy as np

from pipelines.periods import add_months

MINUTE = 60
HOUR = 3_600
DAY = 86_400


def to_seconds(moment: date | datetime) -> int:
    """A date (its midnight) or a datetime (naive = UTC) as seconds since 1970."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def month_number(month: date) -> int:
    """A month as one integer that sorts and subtracts: year * 12 + month - 1."""
    return month.year * 12 + month.month - 1


def month_numbers(seconds: np.ndarray) -> np.ndarray:
    """`month_number` of every moment in `seconds`."""
    months_since_1970 = seconds.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    return months_since_1970 + 1970 * 12


@dataclass(frozen=True)
class Window:
    """One calendar month: [start, end) in seconds."""

    month: date
    start: int
    end: int

    @property
    def number(self) -> int:
        return month_number(self.month)

    @property
    def days(self) -> int:
        return (self.end - self.start) // DAY

    def whole_days_before(self, cutoff: int) -> int:
        """How many of the month's days ended before `cutoff`."""
        return int(np.clip((cutoff - self.start) // DAY, 0, self.days))

    def share_before(self, cutoff: int) -> float:
        """How much of the month lies before `cutoff` (1.0 for a month in the past)."""
        return min(max((cutoff - self.start) / (self.end - self.start), 0.0), 1.0)


def month_window(month: date) -> Window:
    return Window(month, to_seconds(month), to_seconds(add_months(month, 1)))


def month_starts(numbers: np.ndarray) -> np.ndarray:
    """The first second of each month number."""
    months_since_1970 = (numbers - 1970 * 12).astype("timedelta64[M]")
    return (
        (np.datetime64("1970-01", "M") + months_since_1970).astype("datetime64[s]").astype(np.int64)
    )
