"""Pipeline configuration (config/pipeline.yaml): channels, attribution, quality policy."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PIPELINE_CONFIG_FILE = PROJECT_ROOT / "config" / "pipeline.yaml"

ATTRIBUTION_MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
)


Model = TypeVar("Model", bound=BaseModel)


class ConfigError(ValueError):
    """A configuration file is missing or invalid; the message says which file and what."""


class Channel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paid: bool


class Attribution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lookback_days: int = Field(30, ge=1, le=365)
    half_life_days: float = Field(7, gt=0)
    no_touch_channel: str = "direct"
    primary_model: str = "linear"

    @field_validator("primary_model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        if value not in ATTRIBUTION_MODELS:
            raise ValueError(f"must be one of {', '.join(ATTRIBUTION_MODELS)}")
        return value


class Quality(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_quarantine_share: float = Field(0.01, ge=0, le=1)


class PipelineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_period: str
    channels: dict[str, Channel]
    attribution: Attribution = Attribution()
    quality: Quality = Quality()

    @field_validator("first_period")
    @classmethod
    def _month(cls, value: str) -> str:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
            raise ValueError("must be a month YYYY-MM")
        return value

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


@cache
def load_pipeline_config(path: Path = PIPELINE_CONFIG_FILE) -> PipelineConfig:
    return load_yaml_model(PipelineConfig, path)
