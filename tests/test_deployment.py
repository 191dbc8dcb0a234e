"""A deployment directory (scorecard init) holds a user's configuration outside the checkout;
SCORECARD_HOME or --config-dir points the CLI, settings and every config loader at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.config import load_pipeline_config
from pipelines.exit_codes import ExitCode
from pipelines.home import CONFIG_FILES, DEMO_CONFIG_DIR
from pipelines.quality.policy import load_quality_policy
from pipelines.settings import get_settings

ENV_KEYS = (
    "SCORECARD_TARGET",
    "SCORECARD_WAREHOUSE",
    "SCORECARD_PG_URL",
    "SCORECARD_LANDING",
    "SCORECARD_CURRENCY",
    "DAGSTER_HOME",
)


@pytest.fixture
def home(isolated_env: Path) -> Path:
    """An initialised deployment directory with a first period, channels and a quarantine share
    of its own; SCORECARD_HOME is restored after the test (--config-dir sets it)."""
    directory = isolated_env / "acme"
    assert main(["init", str(directory)]) == ExitCode.PUBLISHED
    pipeline = directory / "pipeline.yaml"
    text = pipeline.read_text().replace('first_period: "2024-01"', 'first_period: "2022-07"')
    # A business without video: the channel and the shipped rule mapping labels to it go.
    lines = text.replace("  video: {paid: true}\n", "").splitlines(keepends=True)
    pipeline.write_text("".join(line for line in lines if "channel: video}" not in line))
    quality = directory / "quality.yaml"
    quality.write_text(quality.read_text().replace("max_share: 0.01", "max_share: 0.05"))
    return directory


def test_init_writes_the_shipped_files_under_a_header_and_an_env_template(home: Path):
    for name in CONFIG_FILES:
        text = (home / name).read_text()
        assert text.startswith("# ") and f"scorecard --config-dir {home} validate" in text
    shipped = (DEMO_CONFIG_DIR / "scorecard.yaml").read_text()
    assert (home / "scorecard.yaml").read_text().endswith(shipped)
    env = (home / ".env").read_text()
    assert all(f"# {key}=" in env for key in ENV_KEYS)
    assert "# SCORECARD_WAREHOUSE=data/warehouse.duckdb" in env


def test_init_refuses_to_overwrite_unless_forced(home: Path, capsys):
    capsys.readouterr()
    assert main(["init", str(home)]) == ExitCode.BAD_INPUT
    assert "would overwrite pipeline.yaml" in capsys.readouterr().out
    assert "2022-07" in (home / "pipeline.yaml").read_text()
    assert main(["init", str(home), "--force"]) == ExitCode.PUBLISHED
    assert "2024-01" in (home / "pipeline.yaml").read_text()


def test_config_dir_points_every_loader_at_the_home(home: Path):
    demo = load_pipeline_config()  # cached for the checkout's file: must not be served below
    assert main(["--config-dir", str(home), "snapshots"]) == ExitCode.PUBLISHED
    config = load_pipeline_config()
    assert config.first_period == "2022-07" != demo.first_period
    assert "video" in demo.channels and "video" not in config.channels
    assert load_quality_policy().quarantine.max_share == 0.05
    assert get_settings().config == home / "scorecard.yaml"


def test_scorecard_home_switches_back_and_forth_in_one_process(home: Path, monkeypatch):
    monkeypatch.setenv("SCORECARD_HOME", str(home))
    assert load_pipeline_config().first_period == "2022-07"
    assert load_quality_policy().quarantine.max_share == 0.05
    monkeypatch.setenv("SCORECARD_HOME", "")
    assert load_pipeline_config().first_period == "2024-01"
    assert load_quality_policy().quarantine.max_share == 0.01
    assert get_settings().config == DEMO_CONFIG_DIR / "scorecard.yaml"


def test_relative_paths_in_the_home_env_resolve_against_the_home(home: Path, monkeypatch):
    for key in ("SCORECARD_WAREHOUSE", "SCORECARD_LANDING", "DAGSTER_HOME"):
        monkeypatch.delenv(key)
    (home / ".env").write_text("SCORECARD_WAREHOUSE=data/acme.duckdb\nSCORECARD_LANDING=inbox\n")
    elsewhere = home.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".env").write_text("SCORECARD_WAREHOUSE=cwd.duckdb\nSCORECARD_CURRENCY=EUR\n")
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("SCORECARD_HOME", str(home))
    settings = get_settings()
    assert settings.warehouse == home / "data" / "acme.duckdb"  # the home's .env wins
    assert settings.currency == "EUR"  # the working directory's .env is still read
    assert settings.landing == str(home / "inbox")
    assert settings.dagster_home == home / "data" / "dagster_home"


def test_a_broken_pipeline_yaml_in_the_home_is_exit_2_naming_the_file(home: Path, capsys):
    pipeline = home / "pipeline.yaml"
    pipeline.write_text(pipeline.read_text().replace('"2022-07"', '"2022-13"'))
    code = main(["--config-dir", str(home), "run", "--period", "2024-01"])
    assert code == ExitCode.BAD_INPUT
    assert str(pipeline) in capsys.readouterr().out.replace("\n", "")


def test_a_home_that_does_not_exist_is_exit_2(isolated_env: Path, capsys):
    missing = isolated_env / "acme-typo"
    assert main(["--config-dir", str(missing), "snapshots"]) == ExitCode.BAD_INPUT
    assert "no such directory" in " ".join(capsys.readouterr().out.split())  # however it wraps
    assert not missing.exists()
