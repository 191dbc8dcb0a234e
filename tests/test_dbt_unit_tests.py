"""dbt's unit tests (`unit_tests:` in the models' yml files): each model's SQL on a few hand-made
rows, so logic otherwise checked only by a full build is checked in seconds.

dbt reads the column types of a unit-tested model's parents from the warehouse, so a scratch
DuckDB warehouse gets the raw tables and an empty build (`dbt run --empty`) of every unit-tested
model and its ancestors; then one `dbt test --select test_type:unit` runs them all. One pytest
test per unit test (read from the yml files, so a new one is picked up without a manifest): it
fails with dbt's diff of the expected and actual rows."""

from __future__ import annotations

from contextlib import suppress
from datetime import date
from pathlib import Path

import pytest
import yaml

from pipelines.transform.dbt_runner import DBT_PROJECT_DIR, DbtInvocation
from tests.dbt_fixtures import DbtRunError, duckdb_warehouse

# The months dbt's vars cover; a unit test that reads the run's months overrides them.
MONTH = date(2025, 1, 1)


def unit_tests() -> dict[str, str]:
    """The model of every unit test of the project's yml files, by the test's name."""
    tests: dict[str, str] = {}
    for path in sorted((DBT_PROJECT_DIR / "models").rglob("*.yml")):
        for test in yaml.safe_load(path.read_text()).get("unit_tests") or []:
            if test["name"] in tests:
                raise ValueError(f"two dbt unit tests are named {test['name']}: rename one")
            tests[test["name"]] = test["model"]
    return tests


UNIT_TESTS = unit_tests()


@pytest.fixture(scope="module")
def unit_test_run(tmp_path_factory: pytest.TempPathFactory) -> DbtInvocation:
    warehouse = duckdb_warehouse(Path(tmp_path_factory.mktemp("dbt_unit_tests")))
    models = sorted(set(UNIT_TESTS.values()))
    warehouse.dbt(
        "run", "--empty", "--select", *(f"+{model}" for model in models), first=MONTH, last=MONTH
    )
    # A failed unit test fails the command: each is reported by its own test below.
    with suppress(DbtRunError):
        warehouse.dbt(
            "test", "--select", "test_type:unit", "--no-use-colors", first=MONTH, last=MONTH
        )
    [invocation] = warehouse.last_invocation
    return invocation


def test_the_project_has_unit_tests():
    assert len(UNIT_TESTS) >= 5, "the unit tests of dbt_project/models/*.yml were not found"


@pytest.mark.parametrize("name", UNIT_TESTS)
def test_dbt_unit_test_passes(name: str, unit_test_run: DbtInvocation):
    model = UNIT_TESTS[name]
    unique_id = f"unit_test.scorecard.{model}.{name}"
    status = unit_test_run.statuses.get(unique_id)
    assert status is not None, f"dbt did not run {unique_id}: {unit_test_run.errors}"
    diff = unit_test_run.messages.get(unique_id, "").replace("\r\n", "\n").strip()
    failure = f"unit test {name} of {model}: {status}\n{diff or unit_test_run.errors}"
    assert status == "pass", failure


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML keeps the last of two equal keys without a word: this loader refuses them."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict:
    keys = [loader.construct_object(key) for key, _ in node.value]
    duplicates = sorted({str(key) for key in keys if keys.count(key) > 1})
    if duplicates:
        raise yaml.constructor.ConstructorError(
            None, None, f"duplicate keys {duplicates}", node.start_mark
        )
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def test_dbt_yml_files_have_no_duplicate_keys():
    """A repeated key (two `columns:` of a model, two `unit_tests:` in a file) silently drops
    the first one's content."""
    for path in sorted((DBT_PROJECT_DIR / "models").rglob("*.yml")):
        yaml.load(path.read_text(), Loader=_UniqueKeyLoader)
