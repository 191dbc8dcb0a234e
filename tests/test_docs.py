"""README stays generated where it says it is."""

from __future__ import annotations

import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.scoring.kpi_catalogue import kpi_table_markdown, sources_table_markdown


@pytest.mark.parametrize(
    ("marker", "generate"),
    [("kpi-table", kpi_table_markdown), ("kpi-sources", sources_table_markdown)],
)
def test_readme_kpi_tables_are_the_catalogue(marker, generate):
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme.split(f"<!-- {marker}:start -->\n")[1].split(f"<!-- {marker}:end -->")[0]
    assert table == generate()
