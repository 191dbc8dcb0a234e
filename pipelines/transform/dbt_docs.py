"""dbt's documentation of the project (every model, column, test and exposure) with the
warehouse's catalogue, as one static HTML page that opens offline (`scorecard docs`)."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

from pipelines.config import load_pipeline_config
from pipelines.periods import dbt_vars
from pipelines.settings import Settings
from pipelines.transform.dbt_runner import DBT_PROJECT_DIR, DbtError


def generate_docs(settings: Settings, folder: Path, month: date) -> Path:
    """`dbt docs generate --static` on the deployment's warehouse into `folder`, SQL compiled for
    `month`; the page."""
    from dbt.cli.main import dbtRunner

    os.environ.update(settings.dbt_env())
    result = dbtRunner().invoke(
        [
            "docs", "generate", "--static",
            "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(folder),
            "--log-path", str(folder / "logs"),
            "--vars", json.dumps(dbt_vars(month, month, load_pipeline_config())),
            "--log-level", "none",  # its errors come back in the result, said in one line
        ]
    )  # fmt: skip
    page = folder / "static_index.html"
    if not result.success or not page.exists():
        raise DbtError(f"dbt docs generate failed: {result.exception or 'see ' + str(folder)}")
    return page
