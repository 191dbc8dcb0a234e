"""`generate`: write the input-contract tables of a demo profile (default: all of them) for a month
range as demo files into a landing area.

The same arguments always give byte-identical files: one seeded random generator, consumed in a
fixed order, and no clock but `as_of`. Nothing is dated at or after the cutoff, the earlier of
`as_of` and the end of the last month: what happens later simply has not happened yet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from pipelines.config import load_pipeline_config
from pipelines.demo.assumptions import load_assumptions
from pipelines.demo.files import FileFormat, LandingWriter
from pipelines.demo.profiles import DEFAULT_PROFILE, profile_named
from pipelines.demo.simulation import Business
from pipelines.demo.sql_tables import SqlLandingWriter
from pipelines.demo.timeline import month_window, to_seconds
from pipelines.demo.world import build_world
from pipelines.periods import months_between


@dataclass(frozen=True)
class GenerationSummary:
    months: list[date]
    rows: dict[str, int]  # rows written per contract table, over all months
    landing: str


def generate(
    landing: str | Path,
    first_month: date,
    last_month: date,
    *,
    seed: int = 7,
    scale: float = 1.0,
    file_format: FileFormat = "csv",
    as_of: datetime | None = None,
    profile: str = DEFAULT_PROFILE,
    to_sql: str | None = None,
) -> GenerationSummary:
    """Simulate the months first_month..last_month and write one file per table of the profile
    and month (the CRM and order tables into the database at `to_sql` instead, when given)."""
    shape = profile_named(profile)
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    months = months_between(first_month.replace(day=1), last_month.replace(day=1))
    windows = [month_window(month) for month in months]
    cutoff = min(to_seconds(as_of or datetime.now(UTC)), windows[-1].end)
    rng = np.random.default_rng(seed)
    assumptions, config = load_assumptions(), load_pipeline_config()
    world = build_world(rng, assumptions, config, windows[0].start, windows[-1].end)
    business = Business(
        rng, assumptions, config, world, scale=scale, first_month=windows[0], cutoff=cutoff
    )
    writer: LandingWriter | SqlLandingWriter = LandingWriter(landing, file_format)
    if to_sql:
        writer = SqlLandingWriter(to_sql, writer)
    rows = dict.fromkeys(shape.written_tables(), 0)
    try:
        for window in windows:
            tables = business.month(window)
            for name in rows:
                rows[name] += writer.write(name, window.month, shape.shape(name, tables[name]))
    finally:
        if isinstance(writer, SqlLandingWriter):
            writer.close()
    return GenerationSummary(months=months, rows=rows, landing=str(landing))
