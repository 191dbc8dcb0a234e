"""What a raw-table suite reports: one outcome per expectation, and the table's verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SAMPLE_SIZE = 5


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's verdict, for recording and for people; `sample` holds a few offenders."""

    expectation: str
    column: str | None
    success: bool
    observed: str
    sample: list[Any] = field(default_factory=list)
    offending: int | None = None  # rows that broke it, where counted

    @property
    def label(self) -> str:
        return self.expectation + (f"({self.column})" if self.column else "")


@dataclass(frozen=True)
class SuiteResult:
    """A table's landed partitions' verdict: it passes only if every expectation does."""

    table: str
    row_count: int
    outcomes: list[ExpectationOutcome]

    @property
    def success(self) -> bool:
        return all(outcome.success for outcome in self.outcomes)

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.success]

    def summary(self) -> str:
        """One sentence naming every failed expectation, its column and what was observed."""
        rows = rows_text(self.row_count) if self.row_count else "0 rows (the table is empty)"
        if not self.failed:
            return f"raw.{self.table} passed all {len(self.outcomes)} expectations on {rows}."
        failures = "; ".join(
            o.expectation + (f" on {o.column}" if o.column else "") + f" ({o.observed})"
            for o in self.failed
        )
        return (
            f"raw.{self.table} failed {len(self.failed)} of {len(self.outcomes)} expectations "
            f"on {rows}: {failures}."
        )

    def failure_details(self) -> dict[str, object]:
        """For the recorded verdict: each failed expectation with what it saw and a sample."""
        return {
            "failed": [
                {"expectation": o.label, "observed": o.observed, "sample": o.sample}
                for o in self.failed
            ]
        }


def rows_text(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"
