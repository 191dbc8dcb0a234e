"""Configuration files are validated at the edge with messages that name the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.config import ConfigError, PipelineConfig, load_pipeline_config, load_yaml_model
from pipelines.settings import Settings, Target


def test_shipped_pipeline_config_is_valid():
    config = load_pipeline_config()
    assert "direct" in config.channels and config.paid_channels


def test_bad_pipeline_config_names_file_and_field(tmp_path: Path):
    path = tmp_path / "pipeline.yaml"
    path.write_text(
        "first_period: 2025-1\nchannels: {direct: {paid: false}}\nattribution: {lookback_days: 0}\n"
    )
    with pytest.raises(ConfigError) as error:
        load_yaml_model(PipelineConfig, path)
    message = str(error.value)
    assert str(path) in message
    assert "first_period" in message and "attribution.lookback_days" in message


def test_unreadable_yaml_is_a_config_error(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("channels: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_yaml_model(PipelineConfig, path)


def test_settings_derive_dbt_profile_variables_from_the_postgres_url(monkeypatch):
    monkeypatch.setenv("SCORECARD_TARGET", "postgres")
    monkeypatch.setenv("SCORECARD_PG_URL", "postgresql://analyst:s%40cret@db.local:6543/marts")
    env = Settings().dbt_env()
    assert env["SCORECARD_TARGET"] == "postgres"
    assert (env["SCORECARD_PG_HOST"], env["SCORECARD_PG_PORT"]) == ("db.local", "6543")
    assert (env["SCORECARD_PG_USER"], env["SCORECARD_PG_PASSWORD"]) == ("analyst", "s@cret")
    assert env["SCORECARD_PG_DBNAME"] == "marts"


def test_attribution_shares_over_one_are_refused(tmp_path):
    path = tmp_path / "pipeline.yaml"
    path.write_text(
        "first_period: 2025-01\nchannels: {direct: {paid: false}}\n"
        "attribution: {w_shaped: {first: 0.5, lead_creation: 0.3, last: 0.3}}\n"
    )
    with pytest.raises(ConfigError, match="first \\+ lead_creation \\+ last is 1.1, at most 1"):
        load_yaml_model(PipelineConfig, path)


def test_the_duckdb_memory_limit_reaches_the_warehouse_and_dbt(tmp_path):
    from pipelines.warehouse import connect

    settings = Settings(
        target=Target.DUCKDB, warehouse=tmp_path / "w.duckdb", duckdb_memory_limit="512MB"
    )
    assert settings.dbt_env()["SCORECARD_DUCKDB_MEMORY_LIMIT"] == "512MB"
    with connect(settings) as warehouse:
        assert warehouse.scalar("select current_setting('memory_limit')") == "488.2 MiB"
    with pytest.raises(ValueError, match="duckdb_memory_limit"):
        Settings(duckdb_memory_limit="lots")
