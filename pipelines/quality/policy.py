"""The data quality policy (quality.yaml of the deployment directory, else config/): severities and
thresholds, data not code."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from pipelines.config import load_yaml_model
from pipelines.home import config_file

# The pipeline checks of every raw table, by their names in the policy.
SUITE_CHECK = "contract_suite"
QUARANTINE_CHECK = "quarantine_share"
REFERENTIAL_CHECK = "referential_integrity"
ROW_TREND_CHECK = "row_count_trend"


class Severity(StrEnum):
    BLOCKING = "blocking"
    WARNING = "warning"


class QuarantinePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_share: float = Field(0.01, ge=0, le=1)
    max_share_by_table: dict[str, float] = {}

    def max_share_of(self, table: str) -> float:
        return self.max_share_by_table.get(table, self.max_share)


class TrendPolicy(BaseModel):
    """How far a period may move from the mean of its trailing periods before it is flagged."""

    model_config = ConfigDict(extra="forbid")

    trailing_periods: int = Field(3, ge=1, le=24)
    row_count_factor: float = Field(3.0, gt=1)
    volume_factor: float = Field(2.0, gt=1)
    kpi_movement_factor: float = Field(2.0, gt=1)
    kpis: list[str] = ["revenue", "orders", "new_customers"]


class FreshnessPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_lag_days: int = Field(2, ge=0)
    tables: list[str] = ["touchpoints", "ad_spend", "orders", "leads"]


class QualityPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checks: dict[str, Severity] = {}
    quarantine: QuarantinePolicy = QuarantinePolicy()
    trends: TrendPolicy = TrendPolicy()
    freshness: FreshnessPolicy = FreshnessPolicy()

    def severity_of(self, check_name: str) -> Severity:
        """A check the policy does not name blocks: an unknown check must not pass silently."""
        return self.checks.get(check_name, Severity.BLOCKING)


def load_quality_policy(path: Path | None = None) -> QualityPolicy:
    """The policy at `path` (default: the deployment's quality.yaml)."""
    return _load_quality_policy(path or config_file("quality.yaml"))


@cache
def _load_quality_policy(path: Path) -> QualityPolicy:
    # Keyed by path: a process that changes SCORECARD_HOME reads the new home's file.
    return load_yaml_model(QualityPolicy, path)
