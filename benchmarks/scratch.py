"""A scratch deployment for a benchmark: its own DuckDB warehouse, landing and Dagster home in a
new temporary folder, with the checkout's config (the demo's)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def scratch_deployment(prefix: str) -> Path:
    """Point this process (and the commands it starts) at a new folder; the folder."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.update(
        {
            "SCORECARD_TARGET": "duckdb",
            "SCORECARD_WAREHOUSE": str(folder / "warehouse.duckdb"),
            "SCORECARD_LANDING": str(folder / "landing"),
            "DAGSTER_HOME": str(folder / "dagster_home"),
            "SCORECARD_HOME": "",
        }
    )
    return folder
