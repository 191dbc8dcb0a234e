"""The KPI catalogue (kpi_catalogue.yaml): each KPI's unit, better direction and entity types.

One place for what the KPI facts provide, so scorecard validation and the docs agree."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from pipelines.config import ATTRIBUTION_MODELS, load_yaml_model

KPI_CATALOGUE_FILE = Path(__file__).with_name("kpi_catalogue.yaml")
MODEL_PLACEHOLDER = "{model}"


class EntityType(StrEnum):
    COMPANY = "company"
    TEAM = "team"
    REP = "rep"
    CHANNEL = "channel"
    CAMPAIGN = "campaign"


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class Unit(StrEnum):
    CURRENCY = "currency"
    COUNT = "count"
    RATIO = "ratio"
    DAYS = "days"
    PER_100_ORDERS = "per_100_orders"
    POINTS = "points"
    MONTHS = "months"


class KpiSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    definition: str
    unit: Unit
    direction: Direction
    entity_types: tuple[EntityType, ...]


class KpiCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kpis: dict[str, KpiSpec]


@cache
def kpi_catalogue(path: Path = KPI_CATALOGUE_FILE) -> dict[str, KpiSpec]:
    """Every KPI by name, with names containing {model} expanded once per attribution model."""
    catalogue: dict[str, KpiSpec] = {}
    for name, spec in load_yaml_model(KpiCatalogue, path).kpis.items():
        if MODEL_PLACEHOLDER in name:
            catalogue.update({name.replace(MODEL_PLACEHOLDER, m): spec for m in ATTRIBUTION_MODELS})
        else:
            catalogue[name] = spec
    return catalogue


def kpi_table_markdown(path: Path = KPI_CATALOGUE_FILE) -> str:
    """README's KPI table, generated so the docs cannot drift from the catalogue."""
    rows = ["| KPI | definition | unit | better | entity types |", "|---|---|---|---|---|"]
    for name, spec in load_yaml_model(KpiCatalogue, path).kpis.items():
        types = ", ".join(t.value for t in spec.entity_types)
        cells = [f"`{name}`", spec.definition, spec.unit.value, spec.direction.value, types]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(kpi_table_markdown(), end="")
