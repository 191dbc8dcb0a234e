"""The deployment directory (SCORECARD_HOME): a user's configuration and data, outside the checkout.

Without a home, the checkout's config/ folder and data/ folder are used: the demo."""

from __future__ import annotations

import os
from pathlib import Path

HOME_VARIABLE = "SCORECARD_HOME"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG_DIR = PROJECT_ROOT / "config"
CONFIG_FILES = ("pipeline.yaml", "scorecard.yaml", "quality.yaml")
ENV_FILE = ".env"


def home_dir() -> Path | None:
    """The deployment directory the environment names now (read on every call: the CLI's
    --config-dir and tests set it while the process runs)."""
    home = os.environ.get(HOME_VARIABLE)
    return Path(home).expanduser().resolve() if home else None


def config_dir() -> Path:
    """Where pipeline.yaml, scorecard.yaml and quality.yaml are read from."""
    return home_dir() or DEMO_CONFIG_DIR


def config_file(name: str) -> Path:
    return config_dir() / name


def base_dir() -> Path:
    """What relative paths in the settings resolve against: the home, else the working directory."""
    return home_dir() or Path.cwd()


def data_dir() -> Path:
    """Where the warehouse, landing, alert log and Dagster instance live by default."""
    return (home_dir() or PROJECT_ROOT) / "data"


def env_files() -> tuple[Path, ...]:
    """The .env files settings read, the last winning: the working directory's, then the home's
    (a deployment's own file beats one that happens to lie where the command is run)."""
    home = home_dir()
    return (Path(ENV_FILE),) if home is None else (Path(ENV_FILE), home / ENV_FILE)
