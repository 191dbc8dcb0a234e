"""Run-time settings, from the environment (and a `.env` file): where data lives and goes."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from urllib.parse import unquote, urlparse

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipelines.config import PROJECT_ROOT


class Target(StrEnum):
    DUCKDB = "duckdb"
    POSTGRES = "postgres"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SCORECARD_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    target: Target = Target.DUCKDB
    warehouse: Path = Field(PROJECT_ROOT / "data" / "warehouse.duckdb")
    pg_url: str = "postgresql://postgres@127.0.0.1:5432/scorecard"
    landing: str = str(PROJECT_ROOT / "data" / "landing")
    config: Path = PROJECT_ROOT / "config" / "scorecard.yaml"
    currency: str = Field("USD", pattern="^[A-Z]{3}$")
    # DuckDB's memory cap (its default is 80% of RAM); past it, DuckDB spills to disk.
    duckdb_memory_limit: str = Field("4GB", pattern=r"^\d+(\.\d+)?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")
    # The read-only DuckDB copy BI tools read (DuckDB target only); default:
    # bi/scorecard_bi.duckdb beside the warehouse file.
    bi_copy: Path | None = None

    # Failure alerts: always appended to this JSON-lines file; also POSTed to the webhook if set.
    alert_log: Path = PROJECT_ROOT / "data" / "alerts.log"
    alert_webhook: str = Field("", pattern=r"^(https?://\S+)?$")

    @field_validator("warehouse", "config", "bi_copy", "alert_log")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value else None

    @property
    def bi_copy_path(self) -> Path:
        return self.bi_copy or self.warehouse.parent / "bi" / "scorecard_bi.duckdb"

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
