"""Demo profiles (profiles.yaml): the sources a demo business has, as data.

The simulation is the same for every profile, so one seed gives consistent figures whatever is
written; a profile drops tables, blanks columns and keeps the targets its tables can measure."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, RootModel, model_validator

from pipelines.config import load_yaml_model
from pipelines.demo import DEFAULT_PROFILE, PROFILES_FILE
from pipelines.demo.assumptions import load_assumptions
from pipelines.extract.contract import load_contract
from pipelines.quality.suites import load_suites


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str
    tables: list[str] | None = None  # None: every contract table
    blank: dict[str, list[str]] = {}
    targets: dict[str, list[str]] | None = None  # None: every KPI the plan sets

    @model_validator(mode="after")
    def _fits_the_contract(self) -> Profile:
        contract = load_contract().tables
        problems = [f"unknown table {t}" for t in self.tables or [] if t not in contract]
        written = self.written_tables()
        for table, columns in self.blank.items():
            if table not in written:
                problems.append(f"blank: {table} is not written")
                continue
            keys = contract[table].key
            problems += [
                f"blank: {table}.{column} is {'a key' if column in keys else 'not a column'}"
                for column in columns
                if column in keys or column not in contract[table].columns
            ]
        problems += self._reference_problems(written)
        if self.targets is not None:
            problems += self._target_problems(written)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _reference_problems(self, written: list[str]) -> list[str]:
        """A written table's foreign key must point at a written table, or be blanked."""
        return [
            f"{table}.{key.column} references {key.parent_table}, which is not written: "
            f"write it or blank the column"
            for table in written
            for key in load_suites().of(table).foreign_keys
            if key.parent_table not in written and key.column not in self.blank.get(table, [])
        ]

    def _target_problems(self, written: list[str]) -> list[str]:
        if "targets" not in written:
            return ["targets: the profile does not write the targets table"]
        planned = load_assumptions().plans.target_kpis
        return [
            f"targets: {entity_type} {kpi} is not in the plan (assumptions.yaml plans.target_kpis)"
            for entity_type, kpis in self.targets.items()
            for kpi in kpis
            if kpi not in planned.get(entity_type, [])
        ]

    def written_tables(self) -> list[str]:
        """The tables written, in contract order."""
        return [t for t in load_contract().tables if self.tables is None or t in self.tables]

    def shape(self, name: str, table: pa.Table) -> pa.Table:
        """A written table's rows as the profile's business would export them."""
        for column in self.blank.get(name, []):
            index = table.schema.get_field_index(column)
            table = table.set_column(
                index, column, pa.nulls(table.num_rows, table.schema.field(index).type)
            )
        if name == "targets" and self.targets is not None:
            table = table.filter(self._planned(table))
        return table

    def _planned(self, targets: pa.Table) -> pa.Array:
        """Which target rows are for a KPI the profile plans."""
        keep = pa.array([False] * targets.num_rows)
        for entity_type, kpis in (self.targets or {}).items():
            row_matches = pc.and_(
                pc.equal(targets["entity_type"], entity_type),
                pc.is_in(targets["kpi"], pa.array(kpis)),
            )
            keep = pc.or_(keep, row_matches)
        return keep


class Profiles(RootModel[dict[str, Profile]]):
    @model_validator(mode="after")
    def _has_default(self) -> Profiles:
        if DEFAULT_PROFILE not in self.root:
            raise ValueError(f"the default profile '{DEFAULT_PROFILE}' is missing")
        return self


@cache
def load_profiles(path: Path = PROFILES_FILE) -> dict[str, Profile]:
    return load_yaml_model(Profiles, path).root


def profile_named(name: str) -> Profile:
    profiles = load_profiles()
    if name not in profiles:
        raise ValueError(f"unknown demo profile '{name}' (profiles: {', '.join(profiles)})")
    return profiles[name]
