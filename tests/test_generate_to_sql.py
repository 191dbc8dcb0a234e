"""`scorecard generate --to-sql`: the CRM and order tables written into a database and landed back
through the SQL source give the same raw rows as the all-files landing of the same data;
`validate` reads them from the database too."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipelines.demo.generator import generate
from pipelines.demo.sql_tables import SQL_TABLES, sources_yaml
from pipelines.exit_codes import ExitCode
from pipelines.extract.contract import load_contract
from pipelines.extract.landing import LandingRules, land_table
from pipelines.extract.sources.config import FilesSource, SqlSource
from pipelines.quality.landing_check import Level, check_landing
from pipelines.quality.policy import load_quality_policy
from pipelines.warehouse.connection import DuckDBWarehouse
from pipelines.warehouse.schema import ensure_layout

MONTHS = [date(2025, 1, 1), date(2025, 2, 1)]
AS_OF = datetime(2025, 3, 5, tzinfo=UTC)
RULES = LandingRules(
    channels=[
        "direct", "organic_search", "organic_social", "referral", "email",
        "paid_search", "paid_social", "display", "affiliate", "video",
    ],
    currencies=["USD"],
    now=datetime(2026, 1, 1, tzinfo=UTC),
)  # fmt: skip


def landed(tmp_path: Path, name: str, landing: Path, sources: dict) -> dict[str, pd.DataFrame]:
    """Every generated table landed for the months; the raw rows' contract columns, sorted."""
    frames = {}
    with DuckDBWarehouse(tmp_path / f"{name}.duckdb", memory_limit="1GB") as wh:
        ensure_layout(wh)
        for table in load_contract().tables.values():
            source = sources.get(table.name, FilesSource())
            land_table(wh, str(landing), table, MONTHS, RULES, source)
            columns = ", ".join(table.column_names)
            frames[table.name] = wh.query(
                f"select _period, {columns} from raw.{table.name} order by all"
            )
    return frames


def test_the_sql_seeded_tables_land_the_same_rows_as_the_files(tmp_path, monkeypatch):
    arguments = dict(seed=3, scale=0.2, as_of=AS_OF)
    generate(tmp_path / "files", MONTHS[0], MONTHS[-1], **arguments)
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    generate(tmp_path / "mixed", MONTHS[0], MONTHS[-1], to_sql=url, **arguments)
    assert not any((tmp_path / "mixed" / name).exists() for name in SQL_TABLES)

    monkeypatch.setenv("SCORECARD_SQL_URL", url)
    block = yaml.safe_load(sources_yaml("SCORECARD_SQL_URL"))["sources"]
    sources = {name: SqlSource.model_validate(spec) for name, spec in block.items()}
    expected = landed(tmp_path, "files", tmp_path / "files", {})
    actual = landed(tmp_path, "mixed", tmp_path / "mixed", sources)
    for name in load_contract().tables:
        assert len(actual[name]) == len(expected[name]), name
        pd.testing.assert_frame_equal(actual[name], expected[name], check_dtype=False, obj=name)
    assert sum(len(actual[name]) for name in SQL_TABLES) > 0


def test_validate_reads_the_database_tables_and_names_an_unset_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    generate(tmp_path / "mixed", MONTHS[0], MONTHS[-1], seed=3, scale=0.2, as_of=AS_OF, to_sql=url)
    block = yaml.safe_load(sources_yaml("SCORECARD_SQL_URL"))["sources"]
    sources = {name: SqlSource.model_validate(spec) for name, spec in block.items()}
    policy = load_quality_policy()
    monkeypatch.setenv("SCORECARD_SQL_URL", url)
    report = check_landing(str(tmp_path / "mixed"), policy, RULES, None, "1GB", sources)
    assert report.not_provided == []
    assert report.exit_code is ExitCode.PUBLISHED, list(report.lines())
    assert report.files == 14 * len(MONTHS)

    monkeypatch.delenv("SCORECARD_SQL_URL")
    report = check_landing(str(tmp_path / "mixed"), policy, RULES, None, "1GB", sources)
    assert report.exit_code is ExitCode.BAD_INPUT
    unreadable = {f.table for f in report.findings if f.level is Level.UNREADABLE}
    assert unreadable == set(SQL_TABLES)
    assert "environment variable SCORECARD_SQL_URL is not set" in "\n".join(report.lines())


@pytest.mark.parametrize("name", SQL_TABLES)
def test_every_seeded_table_names_its_period_column(name):
    spec = yaml.safe_load(sources_yaml("X"))["sources"][name]
    assert spec["period_column"] in {"snapshot_month", "created_at", "ordered_at", "refunded_at"}
