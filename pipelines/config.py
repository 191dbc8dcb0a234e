"""Pipeline configuration (pipeline.yaml of the deployment directory, else config/): channels,
attribution, KPI windows, schedules."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pipelines.channels import OTHER_CHANNEL, ChannelMapping, ChannelName
from pipelines.extract.contract import load_contract
from pipelines.extract.sources.config import FilesSource, Source

# PROJECT_ROOT is re-exported: modules locate the checkout's own files through it.
from pipelines.home import PROJECT_ROOT as PROJECT_ROOT
from pipelines.home import config_file

ATTRIBUTION_MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
    "w_shaped",
    "markov",
    "shapley",
)
# Models whose channel weights are learned from the period's paths (in Python, on aggregates).
DATA_DRIVEN_MODELS = ("markov", "shapley")
CONVERSION_TYPES = ("order", "lead", "won_deal")
ConversionType = Literal["order", "lead", "won_deal"]


Model = TypeVar("Model", bound=BaseModel)


class ConfigError(ValueError):
    """A configuration file is missing or invalid; the message says which file and what."""


class Channel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paid: bool


class PositionBasedWeights(BaseModel):
    """Position-based (U-shaped) shares for paths of three or more touches; the middle touches
    share what first and last leave."""

    model_config = ConfigDict(extra="forbid")

    first: float = Field(0.4, ge=0, le=1)
    last: float = Field(0.4, ge=0, le=1)

    @model_validator(mode="after")
    def _at_most_one(self) -> PositionBasedWeights:
        if self.first + self.last > 1:
            raise ValueError(f"first + last is {self.first + self.last:g}, at most 1")
        return self


class WShapedWeights(BaseModel):
    """W-shaped shares of the first, lead-creation and last touch; the other touches share
    what the three leave."""

    model_config = ConfigDict(extra="forbid")

    first: float = Field(0.3, ge=0, le=1)
    lead_creation: float = Field(0.3, ge=0, le=1)
    last: float = Field(0.3, ge=0, le=1)

    @model_validator(mode="after")
    def _at_most_one(self) -> WShapedWeights:
        total = self.first + self.lead_creation + self.last
        if total > 1:
            raise ValueError(f"first + lead_creation + last is {total:g}, at most 1")
        return self


class Attribution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lookback_days: int = Field(30, ge=1, le=365)
    lookback_days_by_type: dict[ConversionType, int] = {}
    half_life_days: float = Field(7, gt=0)
    no_touch_channel: ChannelName = "direct"
    primary_model: str = "linear"
    position_based: PositionBasedWeights = PositionBasedWeights()
    w_shaped: WShapedWeights = WShapedWeights()
    markov_order: int = Field(1, ge=1, le=3)
    shapley_max_channels: int = Field(15, ge=2, le=15)

    @field_validator("primary_model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        if value not in ATTRIBUTION_MODELS:
            raise ValueError(f"must be one of {', '.join(ATTRIBUTION_MODELS)}")
        return value

    @field_validator("lookback_days_by_type")
    @classmethod
    def _lookback_range(cls, value: dict[str, int]) -> dict[str, int]:
        for conversion_type, days in value.items():
            if not 1 <= days <= 365:
                raise ValueError(f"{conversion_type}: {days} days, expected 1 to 365")
        return value

    def lookback_days_of(self, conversion_type: str) -> int:
        """The lookback window of one conversion type (the default where none is set)."""
        return self.lookback_days_by_type.get(conversion_type, self.lookback_days)


class Kpis(BaseModel):
    """Windows of the customer KPIs that look back before the period."""

    model_config = ConfigDict(extra="forbid")

    churn_window_months: int = Field(3, ge=1, le=24)
    ltv_horizon_months: int = Field(12, ge=1, le=60)


class Schedules(BaseModel):
    """When the monthly schedule closes the previous month (final snapshot); day 1 to 28, so
    that every month has it."""

    model_config = ConfigDict(extra="forbid")

    close_day: int = Field(2, ge=1, le=28)


class PipelineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_period: str
    channels: dict[ChannelName, Channel]
    channel_mapping: ChannelMapping = ChannelMapping()
    attribution: Attribution = Attribution()
    kpis: Kpis = Kpis()
    schedules: Schedules = Schedules()
    # contract table -> where it comes from; a table not named here comes from files
    sources: dict[str, Source] = {}

    @field_validator("first_period")
    @classmethod
    def _month(cls, value: str) -> str:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
            raise ValueError("must be a month YYYY-MM")
        return value

    @model_validator(mode="after")
    def _mapped_to_known_channels(self) -> PipelineConfig:
        """With `unmapped: other`, `other` is a known unpaid channel; every rule maps to one."""
        if self.channel_mapping.unmapped == "other":
            self.channels.setdefault(OTHER_CHANNEL, Channel(paid=False))
        unknown = [
            f"channel_mapping.rules.{i}: channel '{rule.channel}' is not one of channels"
            for i, rule in enumerate(self.channel_mapping.rules)
            if rule.channel not in self.channels
        ]
        if unknown:
            raise ValueError("; ".join(unknown))
        return self

    @field_validator("sources")
    @classmethod
    def _contract_tables(cls, value: dict[str, Source]) -> dict[str, Source]:
        unknown = sorted(set(value) - set(load_contract().tables))
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: not a table of the input contract")
        return value

    def source_of(self, table: str) -> Source:
        return self.sources.get(table, FilesSource())

    @property
    def paid_channels(self) -> list[str]:
        return [name for name, channel in self.channels.items() if channel.paid]


def load_yaml_model(model: type[Model], path: Path) -> Model:
    """Parse a YAML file into `model`, turning every failure into one readable ConfigError."""
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in error.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None


def pipeline_config_file() -> Path:
    return config_file("pipeline.yaml")


def load_pipeline_config(path: Path | None = None) -> PipelineConfig:
    """The pipeline configuration at `path` (default: the deployment's pipeline.yaml)."""
    return _load_pipeline_config(path or pipeline_config_file())


@cache
def _load_pipeline_config(path: Path) -> PipelineConfig:
    # Keyed by path: a process that changes SCORECARD_HOME reads the new home's file.
    return load_yaml_model(PipelineConfig, path)
