"""Run-time settings, from the environment (and `.env` files): where data lives and goes.

With a deployment directory (SCORECARD_HOME), its .env is read too, defaults live in its data/
folder and relative paths resolve against it; without one, against the working directory."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from pipelines.home import base_dir, config_file, data_dir, env_files


class Target(StrEnum):
    DUCKDB = "duckdb"
    POSTGRES = "postgres"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SCORECARD_", env_file_encoding="utf-8", extra="ignore"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The .env files of the deployment as it is now (SCORECARD_HOME may change in-process)."""
        dotenv = DotEnvSettingsSource(settings_cls, env_file=env_files())
        return init_settings, env_settings, dotenv, file_secret_settings

    target: Target = Target.DUCKDB
    warehouse: Path = Field(default_factory=lambda: data_dir() / "warehouse.duckdb")
    pg_url: str = "postgresql://postgres@127.0.0.1:5432/scorecard"
    landing: str = Field(default_factory=lambda: str(data_dir() / "landing"))
    config: Path = Field(default_factory=lambda: config_file("scorecard.yaml"))
    currency: str = Field("USD", pattern="^[A-Z]{3}$")
    # DuckDB's memory cap (its default is 80% of RAM); past it, DuckDB spills to disk.
    duckdb_memory_limit: str = Field("4GB", pattern=r"^\d+(\.\d+)?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")
    # dbt's log in each run's folder (dbt_project/target/runs/<run id>/dbt.log): `debug` adds every
    # statement dbt sent to the warehouse (`make bench-run` replays them as its floor).
    dbt_log_level: Literal["debug", "info", "warn", "error"] = "info"
    # The read-only DuckDB copy BI tools read (DuckDB target only); default:
    # bi/scorecard_bi.duckdb beside the warehouse file.
    bi_copy: Path | None = None

    # Failure alerts: always appended to this JSON-lines file; also POSTed to the webhook if set.
    alert_log: Path = Field(default_factory=lambda: data_dir() / "alerts.log")
    alert_webhook: str = Field("", pattern=r"^(https?://\S+)?$")

    # Where `scorecard report` and the report asset write scorecard-<period>.html; default:
    # reports/ beside the warehouse file (with the data it reports on).
    reports: Path | None = None

    # Dagster's instance (run history, schedules); DAGSTER_HOME, without the prefix.
    dagster_home: Path = Field(
        default_factory=lambda: data_dir() / "dagster_home", validation_alias="DAGSTER_HOME"
    )

    @field_validator("warehouse", "config", "bi_copy", "alert_log", "reports", "dagster_home")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return (base_dir() / value.expanduser()).resolve() if value else None

    @field_validator("landing")
    @classmethod
    def _landing(cls, value: str) -> str:
        """A relative local folder resolves like the paths above; a URL is left as it is."""
        if "://" in value or Path(value).is_absolute():
            return value
        return str((base_dir() / value).resolve())

    @property
    def bi_copy_path(self) -> Path:
        return self.bi_copy or self.warehouse.parent / "bi" / "scorecard_bi.duckdb"

    @property
    def reports_path(self) -> Path:
        return self.reports or self.warehouse.parent / "reports"

    def dbt_env(self) -> dict[str, str]:
        """The variables dbt's profiles.yml reads, derived from these settings."""
        url = urlparse(self.pg_url)
        return {
            "SCORECARD_TARGET": self.target.value,
            "SCORECARD_WAREHOUSE": str(self.warehouse),
            "SCORECARD_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
            "SCORECARD_PG_HOST": url.hostname or "127.0.0.1",
            "SCORECARD_PG_PORT": str(url.port or 5432),
            "SCORECARD_PG_USER": unquote(url.username or "postgres"),
            "SCORECARD_PG_PASSWORD": unquote(url.password or ""),
            "SCORECARD_PG_DBNAME": url.path.lstrip("/") or "scorecard",
        }


def get_settings() -> Settings:
    """Settings as the environment says now (not cached: tests and the CLI change it)."""
    return Settings()
