"""Helpers for end-to-end tests: demo data into a landing folder, runs through Dagster, queries."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from assets.runner import run_periods
from pipelines.demo.generator import generate
from pipelines.exit_codes import RunOutcome
from pipelines.settings import get_settings
from pipelines.warehouse import connect

FIRST = date(2025, 1, 1)
SECOND = date(2025, 2, 1)
THIRD = date(2025, 3, 1)
AS_OF = datetime(2025, 4, 15, tzinfo=UTC)


def generate_small(landing: Path, last: date = THIRD) -> None:
    generate(landing, FIRST, last, seed=11, scale=0.3, as_of=AS_OF)


def run(first: date, last: date) -> RunOutcome:
    return run_periods(first, last)


def query(sql: str, params: list[object] | None = None) -> pd.DataFrame:
    with connect(get_settings()) as warehouse:
        return warehouse.query(sql, params or [])


def scalar(sql: str, params: list[object] | None = None) -> object:
    frame = query(sql, params)
    return frame.iat[0, 0]
