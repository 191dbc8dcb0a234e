"""The KPI catalogue (kpi_catalogue.yaml): the one definition of every KPI.

dbt computes fct_kpi, its checks and roll-ups from it (passed in the run's --vars, see `dbt_kpis`),
scorecards validate against it, the demo plans targets with its formulas and README's KPI tables
are generated from it, so none of them can drift from another."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipelines.config import ATTRIBUTION_MODELS, load_yaml_model
from pipelines.extract.contract import load_contract

KPI_CATALOGUE_FILE = Path(__file__).with_name("kpi_catalogue.yaml")
MODEL_PLACEHOLDER = "{model}"
# The nullable column margin KPIs need; its coverage decides whether cost of goods is known.
COST_SOURCE = "order_items.unit_cost"


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


class Check(StrEnum):
    """share: a part of a whole, within 0..1 (blocks); funnel_rate: parts from different systems,
    above 1 implausible but possible (warns)."""

    SHARE = "share"
    FUNNEL_RATE = "funnel_rate"


class CostWindow(StrEnum):
    """The months whose order items must all have a unit_cost for a margin KPI to have a value."""

    MONTH = "month"
    LTV_HORIZON = "ltv_horizon"


class Rollup(StrEnum):
    """How a quarter or year value follows from the months (marts.fct_kpi_rollups)."""

    RATIO_OF_SUMS = "ratio of sums"
    SUM = "sum"
    MEAN = "mean of months"


class KpiSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    definition: str
    unit: Unit
    direction: Direction
    entity_types: tuple[EntityType, ...] = Field(min_length=1)
    numerator: str
    denominator: str | None = None
    scale: float = 1
    null_reason: str | None = None
    check: Check | None = None
    cost_window: CostWindow | None = None
    sources: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> KpiSpec:
        if self.denominator and not self.null_reason:
            raise ValueError("a KPI with a denominator needs the null_reason of a zero one")
        if self.scale != 1 and not self.denominator:
            raise ValueError("scale applies to a ratio: give a denominator too")
        if self.cost_window and COST_SOURCE not in self.sources:
            raise ValueError(f"cost_window applies to KPIs whose sources include {COST_SOURCE}")
        if COST_SOURCE in self.sources and self.cost_window is None:
            return self.model_copy(update={"cost_window": CostWindow.MONTH})
        return self

    @property
    def rollup(self) -> Rollup:
        if self.denominator:
            return Rollup.RATIO_OF_SUMS
        return Rollup.SUM if self.unit in (Unit.COUNT, Unit.CURRENCY) else Rollup.MEAN


class KpiCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kpis: dict[str, KpiSpec]

    @model_validator(mode="after")
    def _sources_are_contract_tables(self) -> KpiCatalogue:
        known = set(all_sources())
        for name, spec in self.kpis.items():
            unknown = [source for source in spec.sources if source not in known]
            if unknown:
                raise ValueError(
                    f"{name}: sources {unknown} are not contract tables or table.column"
                )
        return self


def all_sources() -> list[str]:
    """Every source a KPI may name, in contract order: each table, then each `table.column`."""
    tables = load_contract().tables.values()
    return [t.name for t in tables] + [f"{t.name}.{c}" for t in tables for c in t.columns]


@cache
def load_catalogue(path: Path = KPI_CATALOGUE_FILE) -> KpiCatalogue:
    """The catalogue as written ({model} names not expanded)."""
    return load_yaml_model(KpiCatalogue, path)


@cache
def kpi_catalogue(path: Path = KPI_CATALOGUE_FILE) -> dict[str, KpiSpec]:
    """Every KPI by name, with names containing {model} expanded once per attribution model."""
    catalogue: dict[str, KpiSpec] = {}
    for name, spec in load_catalogue(path).kpis.items():
        if MODEL_PLACEHOLDER not in name:
            catalogue[name] = spec
            continue
        for model in ATTRIBUTION_MODELS:
            catalogue[name.replace(MODEL_PLACEHOLDER, model)] = spec.model_copy(
                update={"numerator": spec.numerator.replace(MODEL_PLACEHOLDER, model)}
            )
    return catalogue


def dbt_kpis() -> list[dict[str, object]]:
    """The catalogue as dbt var `kpis`: what SQL needs of each KPI (not its prose)."""
    return [
        {
            "kpi": name,
            "unit": spec.unit.value,
            "entity_types": [t.value for t in spec.entity_types],
            "numerator": spec.numerator,
            "denominator": spec.denominator,
            "scale": spec.scale,
            "null_reason": spec.null_reason,
            "check": spec.check and spec.check.value,
            "cost_window": spec.cost_window and spec.cost_window.value,
            "sources": list(spec.sources),
            "rollup": spec.rollup.value,
        }
        for name, spec in kpi_catalogue().items()
    ]


def kpi_table_markdown(path: Path = KPI_CATALOGUE_FILE) -> str:
    """README's KPI table, generated so the docs cannot drift from the catalogue."""
    rows = [
        "| KPI | definition | unit | better | entity types | sources |",
        "|---|---|---|---|---|---|",
    ]
    for name, spec in load_catalogue(path).kpis.items():
        types = ", ".join(t.value for t in spec.entity_types)
        sources = ", ".join(f"`{source}`" for source in spec.sources)
        cells = [f"`{name}`", spec.definition, spec.unit.value, spec.direction.value, types]
        rows.append("| " + " | ".join([*cells, sources]) + " |")
    return "\n".join(rows) + "\n"


def sources_table_markdown(path: Path = KPI_CATALOGUE_FILE) -> str:
    """README's 'which source unlocks which KPIs': per source any KPI needs, those KPIs."""
    kpis = load_catalogue(path).kpis
    rows = ["| source | KPIs that need it |", "|---|---|"]
    for source in all_sources():
        needing = [name for name, spec in kpis.items() if source in spec.sources]
        if needing:
            rows.append(f"| `{source}` | " + ", ".join(f"`{name}`" for name in needing) + " |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(kpi_table_markdown(), end="")
    print()
    print(sources_table_markdown(), end="")
