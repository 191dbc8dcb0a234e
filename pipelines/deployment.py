"""`scorecard init DIR`: a deployment directory of the user's own, so nobody edits the checkout.

The YAML files are copies of the shipped ones (config/), each under a header saying what it is."""

from __future__ import annotations

from pathlib import Path

from pipelines.config import ConfigError
from pipelines.home import CONFIG_FILES, DEMO_CONFIG_DIR, ENV_FILE, HOME_VARIABLE

PURPOSES = {
    "pipeline.yaml": "Pipeline settings: first monthly period, channels, attribution, KPI windows, "
    "schedules.",
    "scorecard.yaml": "The scorecard: versions of what each entity type is scored on.",
    "quality.yaml": "The data quality policy: check severities and thresholds.",
}

ENV_TEMPLATE = f"""\
# Settings of this scorecard deployment, read when {HOME_VARIABLE} (or `scorecard --config-dir`)
# names this directory. The environment wins over this file; relative paths resolve against
# this directory. The values shown are the defaults: uncomment a line to change it.
# SCORECARD_TARGET=duckdb
# SCORECARD_WAREHOUSE=data/warehouse.duckdb
# SCORECARD_PG_URL=postgresql://user:password@host:5432/scorecard
# SCORECARD_LANDING=data/landing
# SCORECARD_CURRENCY=USD
# DAGSTER_HOME=data/dagster_home
"""


def yaml_header(name: str, directory: Path) -> str:
    return (
        f"# {PURPOSES[name]}\n"
        f"# Part of the scorecard deployment in {directory} (written by `scorecard init`).\n"
        f"# Validated whenever a command reads it (exit 2 naming the key at fault); check it with\n"
        f"#   scorecard --config-dir {directory} validate\n"
        "#\n"
    )


def init_home(directory: Path, force: bool = False) -> list[Path]:
    """Write the three YAML files and the .env template into `directory`; the paths written.

    Existing files are kept (ConfigError naming them) unless `force`: a deployment's
    configuration is the user's, never silently replaced."""
    directory = directory.expanduser().resolve()
    contents = {
        directory / name: yaml_header(name, directory) + (DEMO_CONFIG_DIR / name).read_text()
        for name in CONFIG_FILES
    }
    contents[directory / ENV_FILE] = ENV_TEMPLATE
    existing = [path for path in contents if path.exists()]
    if existing and not force:
        names = ", ".join(path.name for path in existing)
        raise ConfigError(f"{directory}: would overwrite {names}; --force overwrites them")
    directory.mkdir(parents=True, exist_ok=True)
    for path, text in contents.items():
        path.write_text(text)
    return list(contents)
