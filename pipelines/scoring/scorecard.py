"""The scorecard (config/scorecard.yaml): effective-dated versions of what each entity is scored on.

Validated on load with messages naming the file, version, entity type and KPI at fault."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipelines.config import ConfigError, load_yaml_model
from pipelines.extract.contract import load_contract
from pipelines.periods import month_label, parse_month
from pipelines.scoring.curves import Curve
from pipelines.scoring.kpi_catalogue import Direction, EntityType, Unit, kpi_catalogue

WEIGHT_TOTAL = 100.0
BEGINNING = "beginning"  # effective_from of a first version that scores every earlier period
STAGED_ENTITY_TYPES = (EntityType.TEAM, EntityType.REP)  # reps take their team's stage


class ScorecardConfigError(ConfigError):
    """The scorecard file is missing or invalid, or has no version for a period."""


class Perspective(StrEnum):
    """The balanced-scorecard perspective a KPI reports under."""

    FINANCIAL = "financial"
    CUSTOMER = "customer"
    INTERNAL_PROCESS = "internal_process"
    LEARNING_GROWTH = "learning_growth"


class TargetSource(StrEnum):
    """Where a KPI's target comes from."""

    TARGETS = "targets"  # the targets table (plans), entity by entity
    LAST_YEAR = "last_year"  # the same month last year x (1 + change)
    PREVIOUS_PERIOD = "previous_period"  # the previous month x (1 + change)
    COMPANY_SHARE = "company_share"  # the company's target x the entity's share of `share_by`


RELATIVE_SOURCES = (TargetSource.LAST_YEAR, TargetSource.PREVIOUS_PERIOD)
ADDITIVE_UNITS = (Unit.CURRENCY, Unit.COUNT)  # a company figure splits into shares of these only


class TargetRule(BaseModel):
    """A KPI's target: the targets table, a past value +/- a change, or a share of the company's.

    company_share splits the company's target for the KPI by each entity's share of the company's
    `share_by` KPI in the previous month (a team's revenue covers its descendant teams, so shares
    of teams and of reps each add up to the company)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: TargetSource = TargetSource.TARGETS
    change: float = Field(0.0, gt=-1)
    share_by: str | None = None

    @model_validator(mode="after")
    def _options_fit_the_source(self) -> TargetRule:
        if self.change != 0 and self.source not in RELATIVE_SOURCES:
            raise ValueError(f"change applies only to source: {' or '.join(RELATIVE_SOURCES)}")
        if (self.share_by is None) == (self.source == TargetSource.COMPANY_SHARE):
            raise ValueError("share_by is required by, and only by, source: company_share")
        return self

    @property
    def factor(self) -> float:
        """The factor on the past value a relative rule starts from."""
        return 1 + self.change


class ScoredKpi(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kpi: str
    weight: float = Field(gt=0)
    direction: Direction
    perspective: Perspective
    curve: Curve
    target: TargetRule = TargetRule()


class EntityTypeScorecard(BaseModel):
    """The KPIs of one entity type, with optional lists per team stage replacing the default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kpis: list[ScoredKpi] = Field(min_length=1)
    by_stage: dict[str, list[ScoredKpi]] = {}


class GradeBand(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    grade: str
    min_score: float = Field(ge=0)
    label: str


class BonusTier(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_achievement: float = Field(ge=0)
    multiplier: float = Field(ge=0)


DEFAULT_GRADE_BANDS = (
    GradeBand(grade="A", min_score=90, label="high potential"),
    GradeBand(grade="B", min_score=80, label="improvement plan"),
    GradeBand(grade="C", min_score=0, label="performance improvement plan"),
)
DEFAULT_BONUS_TIERS = (
    BonusTier(min_achievement=0.0, multiplier=0.0),
    BonusTier(min_achievement=0.8, multiplier=1.0),
    BonusTier(min_achievement=1.0, multiplier=1.2),
    BonusTier(min_achievement=1.2, multiplier=1.5),
)


class Rollup(BaseModel):
    """How scores roll up reps -> teams -> parent teams -> company: a weighted mean of the scores
    directly below, each weighted equally or by its value of a KPI (e.g. revenue)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    basis: str = "equal"

    @field_validator("basis")
    @classmethod
    def _known_basis(cls, basis: str) -> str:
        spec = kpi_catalogue().get(basis)
        if basis != "equal" and (spec is None or not set(ROLLUP_TYPES) <= set(spec.entity_types)):
            raise ValueError(
                f"rollup basis must be 'equal' or a KPI of {', '.join(ROLLUP_TYPES)}, got '{basis}'"
            )
        return basis

    @property
    def basis_kpi(self) -> str | None:
        return None if self.basis == "equal" else self.basis


ROLLUP_TYPES = (EntityType.TEAM, EntityType.REP)


class ScorecardVersion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    # None (omitted, or `beginning`): effective from the beginning; only the first version may be.
    effective_from: str | None = None
    grade_bands: tuple[GradeBand, ...] = DEFAULT_GRADE_BANDS
    bonus_tiers: tuple[BonusTier, ...] = DEFAULT_BONUS_TIERS
    alert_threshold: float = Field(0.15, gt=0)
    rollup: Rollup | None = None  # None: equal weights (kept out of the hash of older versions)
    entity_types: dict[EntityType, EntityTypeScorecard] = Field(min_length=1)

    @field_validator("effective_from")
    @classmethod
    def _month(cls, value: str | None) -> str | None:
        if value is None or value == BEGINNING:
            return None
        return month_label(parse_month(value))

    @property
    def rollup_basis(self) -> str | None:
        """The KPI that weights roll-ups, or None for equal weights."""
        return self.rollup.basis_kpi if self.rollup else None

    @property
    def first_month(self) -> date:
        """The first month scored with this version (date.min: from the beginning)."""
        return parse_month(self.effective_from) if self.effective_from else date.min

    @property
    def effective_label(self) -> str:
        return self.effective_from or BEGINNING

    def kpi_lists(self) -> Iterator[tuple[EntityType, str | None, list[ScoredKpi]]]:
        """(entity type, stage or None for the default list, KPIs) for every list of the version."""
        for entity_type, scorecard in self.entity_types.items():
            yield entity_type, None, scorecard.kpis
            for stage, kpis in scorecard.by_stage.items():
                yield entity_type, stage, kpis

    @model_validator(mode="after")
    def _consistent(self) -> ScorecardVersion:
        problems = self._band_problems() + self._tier_problems()
        for entity_type, stage, kpis in self.kpi_lists():
            where = entity_type if stage is None else f"{entity_type} (stage {stage})"
            problems += [f"{where}: {problem}" for problem in _kpi_list_problems(entity_type, kpis)]
            if stage is not None:
                problems += [
                    f"{where}: {problem}" for problem in _stage_problems(entity_type, stage)
                ]
        if problems:
            raise ValueError(f"version '{self.version}': " + "; ".join(problems))
        return self

    def _band_problems(self) -> list[str]:
        minimums = [band.min_score for band in self.grade_bands]
        grades = [band.grade for band in self.grade_bands]
        problems = []
        if not minimums or minimums != sorted(set(minimums), reverse=True) or minimums[-1] != 0:
            problems.append(
                "grade_bands must go from the best band down, with distinct min_score, "
                f"the last at 0; got {minimums}"
            )
        if len(set(grades)) != len(grades):
            problems.append(f"grade_bands repeat a grade: {grades}")
        return problems

    def _tier_problems(self) -> list[str]:
        minimums = [tier.min_achievement for tier in self.bonus_tiers]
        if not minimums or minimums != sorted(set(minimums)) or minimums[0] != 0:
            return [
                "bonus_tiers must go up from min_achievement 0, each higher than the last; "
                f"got {minimums}"
            ]
        return []


def _kpi_list_problems(entity_type: EntityType, kpis: list[ScoredKpi]) -> list[str]:
    catalogue = kpi_catalogue()
    problems = []
    total = sum(kpi.weight for kpi in kpis)
    if abs(total - WEIGHT_TOTAL) > 1e-9:
        problems.append(f"weights sum to {total:g}, expected {WEIGHT_TOTAL:g}")
    repeated = _repeated([kpi.kpi for kpi in kpis])
    if repeated:
        problems.append(f"KPI listed twice: {', '.join(repeated)}")
    for kpi in kpis:
        spec = catalogue.get(kpi.kpi)
        if spec is None:
            problems.append(f"{kpi.kpi}: unknown KPI (see pipelines/scoring/kpi_catalogue.yaml)")
        elif entity_type not in spec.entity_types:
            problems.append(
                f"{kpi.kpi}: not available for {entity_type} "
                f"(only {', '.join(spec.entity_types)})"
            )
        elif kpi.direction != spec.direction:
            problems.append(
                f"{kpi.kpi}: direction {kpi.direction} contradicts the KPI catalogue "
                f"({spec.direction} is better)"
            )
        elif kpi.target.source == TargetSource.COMPANY_SHARE:
            problems += [f"{kpi.kpi}: {p}" for p in _share_problems(entity_type, kpi)]
    return problems


def _share_problems(entity_type: EntityType, kpi: ScoredKpi) -> list[str]:
    """company_share needs additive KPIs the company and the entity type both have."""
    if entity_type == EntityType.COMPANY:
        return ["company_share cannot set the company's own target"]
    catalogue = kpi_catalogue()
    problems = []
    for role, name in (("KPI", kpi.kpi), ("share_by", kpi.target.share_by)):
        spec = catalogue.get(name)
        if spec is None:
            problems.append(f"share_by {name}: unknown KPI")
        elif spec.unit not in ADDITIVE_UNITS:
            problems.append(
                f"company_share needs an additive {role} (currency or count), {name} is {spec.unit}"
            )
        elif not {EntityType.COMPANY, entity_type} <= set(spec.entity_types):
            problems.append(f"company_share needs {name} for company and {entity_type}")
    return problems


def _repeated(names: list[str]) -> list[str]:
    return sorted({name for name in names if names.count(name) > 1})


def _stage_problems(entity_type: EntityType, stage: str) -> list[str]:
    if entity_type not in STAGED_ENTITY_TYPES:
        return [f"by_stage is only for {' and '.join(STAGED_ENTITY_TYPES)}"]
    stages = load_contract().table("teams").columns["stage"].values or []
    if stage not in stages:
        return [f"unknown stage (team stages: {', '.join(stages)})"]
    return []


class Scorecard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    versions: list[ScorecardVersion] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Scorecard:
        repeated = _repeated([v.version for v in self.versions])
        if repeated:
            raise ValueError(f"duplicate version: {', '.join(repeated)}")
        later = [v.version for v in self.versions[1:] if v.effective_from is None]
        if later:
            raise ValueError(
                f"version {', '.join(later)}: effective_from is required; only the first version "
                f"may omit it (or say '{BEGINNING}') to apply to every period before the next"
            )
        months = [v.first_month for v in self.versions]
        if months != sorted(set(months)):
            labels = [v.effective_label for v in self.versions]
            raise ValueError(
                f"effective_from must increase from one version to the next, got {labels}"
            )
        return self

    def version_for(self, period: date) -> ScorecardVersion:
        """The latest version effective on or before `period`."""
        effective = [v for v in self.versions if v.first_month <= period]
        if not effective:
            first = self.versions[0]
            raise ScorecardConfigError(
                f"no scorecard version is effective in {month_label(period)}: "
                f"the first, '{first.version}', applies from {first.effective_from}; add a "
                f"version before it, effective from '{BEGINNING}' or an earlier month"
            )
        return effective[-1]

    def version_named(self, name: str) -> ScorecardVersion:
        """The version called `name` (re-scoring under a chosen version)."""
        for version in self.versions:
            if version.version == name:
                return version
        known = ", ".join(v.version for v in self.versions)
        raise ScorecardConfigError(f"no scorecard version '{name}' (versions: {known})")


def load_scorecard(path: Path) -> Scorecard:
    try:
        return load_yaml_model(Scorecard, path)
    except ConfigError as error:
        raise ScorecardConfigError(str(error)) from None


def scorecard_hash(version: ScorecardVersion) -> str:
    """sha256 of the version's canonical JSON: any change to weights, curves or bands changes it."""
    # Unset optional keys are left out, so adding one to the model keeps older versions' hashes.
    dumped = version.model_dump(mode="json", exclude_none=True)
    canonical = json.dumps(dumped, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
