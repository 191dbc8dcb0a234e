"""README stays generated where it says it is."""

from __future__ import annotations

from pipelines.config import PROJECT_ROOT
from pipelines.scoring.kpi_catalogue import kpi_table_markdown


def test_readme_kpi_table_is_the_catalogue():
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme.split("<!-- kpi-table:start -->\n")[1].split("<!-- kpi-table:end -->")[0]
    assert table == kpi_table_markdown()
