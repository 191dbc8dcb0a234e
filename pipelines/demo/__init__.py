"""Deterministic demo data: a small business simulated month by month into the landing area."""

from pathlib import Path

import yaml

PROFILES_FILE = Path(__file__).with_name("profiles.yaml")
DEFAULT_PROFILE = "full"


def profile_names() -> list[str]:
    """The demo profiles' names, read without validating them (pipelines.demo.profiles does when
    one is used): every command line offers them as choices, `scorecard --help` too, and
    validating them needs pydantic, pyarrow and the contract."""
    with PROFILES_FILE.open() as file:
        return list(yaml.safe_load(file))
