"""README stays generated where it says it is."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from pipelines.cli import main
from pipelines.config import PROJECT_ROOT
from pipelines.exit_codes import ExitCode
from pipelines.scoring.kpi_catalogue import kpi_table_markdown, sources_table_markdown


@pytest.mark.parametrize(
    ("marker", "generate"),
    [("kpi-table", kpi_table_markdown), ("kpi-sources", sources_table_markdown)],
)
def test_readme_kpi_tables_are_the_catalogue(marker, generate):
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme.split(f"<!-- {marker}:start -->\n")[1].split(f"<!-- {marker}:end -->")[0]
    assert table == generate()


class _NoDuplicateKeys(yaml.SafeLoader):
    """A YAML loader that refuses a mapping with a key twice (PyYAML keeps the last silently)."""


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    keys = [loader.construct_object(key) for key, _ in node.value]
    repeated = sorted({str(key) for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"line {node.start_mark.line + 1}: key(s) {repeated} given twice")
    return yaml.SafeLoader.construct_mapping(loader, node)


_NoDuplicateKeys.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates
)


def _repeated_names(node: object, where: str = "") -> list[str]:
    """Lists of named entries (models, columns, tests, exposures) naming one entry twice."""
    found = []
    if isinstance(node, list):
        names = [item["name"] for item in node if isinstance(item, dict) and "name" in item]
        found += [f"{where}: {name}" for name in sorted({n for n in names if names.count(n) > 1})]
        for index, item in enumerate(node):
            found += _repeated_names(item, f"{where}[{index}]")
    elif isinstance(node, dict):
        for key, value in node.items():
            found += _repeated_names(value, f"{where}.{key}")
    return found


def test_dbt_yml_files_name_no_key_and_no_entry_twice():
    files = [
        path
        for path in (PROJECT_ROOT / "dbt_project").rglob("*.yml")
        if not {"target", "dbt_packages", "logs"} & set(path.parts)
    ]
    assert len(files) > 10
    problems = []
    for path in files:
        try:
            content = yaml.load(path.read_text(), Loader=_NoDuplicateKeys)
        except ValueError as error:
            problems.append(f"{path}: {error}")
            continue
        problems += [f"{path}{entry}" for entry in _repeated_names(content)]
    assert problems == []


def test_scorecard_docs_writes_one_page_with_the_exposures(isolated_env):
    out = isolated_env / "docs"
    assert main(["docs", "--out", str(out)]) == 0
    page = (out / "static_index.html").read_text()
    for name in ("fct_attribution", "scorecard_report", "bi_copy", "bi_role"):
        assert name in page


def test_scorecard_docs_on_a_warehouse_held_by_another_process_is_one_line(isolated_env, capsys):
    held = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; held = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(60)", str(isolated_env / "warehouse.duckdb")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert held.stdout.readline().strip() == "held"
        assert main(["docs", "--out", str(isolated_env / "docs")]) == ExitCode.PIPELINE_ERROR
    finally:
        held.kill()
    out = capsys.readouterr().out
    assert "Error: dbt docs generate failed: IO Error: Could not set lock" in out
    assert "Traceback" not in out
