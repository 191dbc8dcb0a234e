"""The dbt project as Dagster sees it: its graph, read from a manifest prepared once (not per run
or per step)."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.transform.dbt_runner import DBT_PROJECT_DIR, export_dbt_env, write_manifest

# Written by Python between two dbt steps: dbt builds what reads it only after it is written.
WEIGHTS_SOURCE = "source:attribution.channel_weights"
MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"


@cache
def dbt_project() -> DbtProject:
    """The project, its manifest written first when it has none yet (`make manifest` writes it)."""
    export_dbt_env()
    if not MANIFEST_PATH.exists():
        prepare_manifest()
    return DbtProject(project_dir=DBT_PROJECT_DIR)


RUN_TARGETS = DBT_PROJECT_DIR / "target" / "runs"
KEPT_RUN_TARGETS = 10


def run_target_path(run_id: str) -> Path:
    """The dbt target folder of one run, pruning all but the newest few older ones: they hold
    compiled SQL and logs worth a look after a failure, not forever."""
    if RUN_TARGETS.exists():
        folders = sorted(RUN_TARGETS.iterdir(), key=_modified_at)
        for folder in folders[:-KEPT_RUN_TARGETS]:
            if folder.name != run_id:
                shutil.rmtree(folder, ignore_errors=True)
    return RUN_TARGETS / run_id


def _modified_at(folder: Path) -> float:
    """0 for a folder another process pruned meanwhile (runs may go side by side)."""
    try:
        return folder.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def prepare_manifest() -> None:
    """Parse the dbt project into target/manifest.json (run by `make` when the project changes);
    the parse also leaves the partial-parse state the first run starts from."""
    MANIFEST_PATH.parent.mkdir(parents=True, exist_ok=True)
    write_manifest(MANIFEST_PATH)


if __name__ == "__main__":
    prepare_manifest()
