"""The dbt project, with its manifest prepared once (not per run or per step)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.config import PROJECT_ROOT
from pipelines.scoring.kpi_catalogue import dbt_kpis
from pipelines.settings import get_settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# Written by Python between two dbt steps: dbt builds what reads it only after it is written.
WEIGHTS_SOURCE = "source:attribution.channel_weights"


def export_dbt_env() -> None:
    """Put the variables profiles.yml reads into the environment dbt subprocesses inherit, and the
    interpreter's own bin folder first on PATH so the `dbt` installed beside it is the one run."""
    os.environ.update(get_settings().dbt_env())
    bin_folder = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_folder:
        os.environ["PATH"] = bin_folder + os.pathsep + os.environ.get("PATH", "")


def _new_project() -> DbtProject:
    """The project, parsed with the KPI catalogue (var kpis), so that the manifest holds every
    model's real dependencies (the sources a KPI needs) and not those of an empty catalogue."""
    parse = ["parse", "--quiet", "--vars", json.dumps({"kpis": dbt_kpis()})]
    return DbtProject(project_dir=DBT_PROJECT_DIR, prepare_project_cli_args=parse)


@cache
def dbt_project() -> DbtProject:
    """The project, parsed (`dbt parse`) when it has no manifest yet or under `dagster dev`."""
    project = _new_project()
    export_dbt_env()
    if project.manifest_path.exists():
        project.prepare_if_dev()
    else:
        project.preparer.prepare(project)
    return project


RUN_TARGETS = DBT_PROJECT_DIR / "target" / "runs"
KEPT_RUN_TARGETS = 10


def run_target_path(run_id: str) -> Path:
    """The dbt target folder of one run (relative to the project), pruning all but the newest
    few older ones: they hold compiled SQL and logs worth a look after a failure, not forever."""
    if RUN_TARGETS.exists():
        folders = sorted(RUN_TARGETS.iterdir(), key=_modified_at)
        for folder in folders[:-KEPT_RUN_TARGETS]:
            if folder.name != run_id:
                shutil.rmtree(folder, ignore_errors=True)
    return Path("target") / "runs" / run_id


def _modified_at(folder: Path) -> float:
    """0 for a folder another process pruned meanwhile (runs may go side by side)."""
    try:
        return folder.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def prepare_manifest() -> None:
    """Parse the dbt project into target/manifest.json (run by `make` when the project changes)."""
    export_dbt_env()
    project = _new_project()
    project.preparer.prepare(project)


if __name__ == "__main__":
    prepare_manifest()
