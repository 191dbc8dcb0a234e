"""Referential integrity and row-count trend through the real raw assets: demo files landed by
Dagster materializations into a DuckDB file, month by month from the pipeline's first period."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from dagster import AssetKey, materialize

from assets.definitions import defs
from assets.extract import raw_tables
from assets.partitions import partition_key
from assets.runner import dagster_instance
from pipelines.demo.generator import generate
from tests.pipeline_runs import query

pytestmark = pytest.mark.integration

JANUARY, FEBRUARY, MARCH = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)  # first_period on
TABLES = ("teams", "reps", "customers", "orders", "order_items")


@pytest.fixture
def landing(isolated_env: Path) -> Path:
    folder = isolated_env / "landing"
    generate(folder, JANUARY, MARCH, seed=5, scale=0.3, as_of=datetime(2024, 4, 2, tzinfo=UTC))
    return folder


def land(month: date) -> dict[tuple[str, str], object]:
    """Materialize the commerce raw assets for `month`; check evaluations by (table, check)."""
    result = materialize(
        [raw_tables],
        selection=[AssetKey(["raw", table]) for table in TABLES],
        partition_key=partition_key(month),
        resources=defs.resources,
        instance=dagster_instance(),
        raise_on_error=False,
    )
    return {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}


def verdict(table: str, check: str, month: date) -> dict:
    frame = query(
        "select passed, severity, observed, details from quality.check_results "
        "where asset = ? and check_name = ? and period_from = ?",
        [f"raw.{table}", check, month],
    )
    assert len(frame) == 1, frame
    return frame.iloc[0].to_dict()


def append_line(path: Path, line: str) -> None:
    path.write_text(path.read_text() + line + "\n")


def test_an_order_item_without_a_landed_order_fails_referential_integrity(landing: Path):
    checks = land(JANUARY)
    assert checks["order_items", "referential_integrity"].passed
    assert checks["reps", "referential_integrity"].passed
    assert ("orders", "referential_integrity") in checks
    assert ("teams", "referential_integrity") in checks  # the team hierarchy refers to itself

    append_line(landing / "order_items" / "2024-02.csv", "ord_99999999,1,p_1,1,10.00,4.00")
    checks = land(FEBRUARY)

    assert not checks["order_items", "referential_integrity"].passed
    assert checks["orders", "referential_integrity"].passed  # January's customers were landed
    recorded = verdict("order_items", "referential_integrity", FEBRUARY)
    assert not recorded["passed"] and recorded["severity"] == "blocking"
    assert "order_id -> orders.order_id: 1 of" in recorded["observed"]
    orphans = json.loads(recorded["details"])["orphans"]["order_id -> orders.order_id"]
    assert [(row["order_id"], row["line_no"]) for row in orphans] == [("ord_99999999", 1)]


def test_orphans_are_shown_but_not_judged_when_the_parents_history_starts_later(landing: Path):
    checks = land(FEBRUARY)  # January, the first period, never landed

    assert checks["orders", "referential_integrity"].passed
    observed = verdict("orders", "referential_integrity", FEBRUARY)["observed"]
    assert "not judged: raw.customers history starts 2024-02" in observed


def test_a_month_far_below_its_trailing_mean_is_flagged_as_a_warning(landing: Path):
    land(JANUARY)
    first = verdict("orders", "row_count_trend", JANUARY)
    assert first["passed"] and "no earlier month landed (no history)" in first["observed"]
    assert land(FEBRUARY)["orders", "row_count_trend"].passed

    march = landing / "orders" / "2024-03.csv"
    march.write_text("".join(march.read_text().splitlines(keepends=True)[:3]))  # 2 orders left
    checks = land(MARCH)

    trend = checks["orders", "row_count_trend"]
    assert not trend.passed and trend.severity.value == "WARN"
    recorded = verdict("orders", "row_count_trend", MARCH)
    assert recorded["severity"] == "warning"
    assert recorded["observed"].startswith("2024-03: 2 rows vs mean ")
    flagged = json.loads(recorded["details"])["flagged"]
    assert [(f["period"], f["rows"], len(f["trailing"])) for f in flagged] == [("2024-03", 2, 2)]
    assert checks["orders", "contract_suite"].passed


def test_a_month_without_a_file_after_earlier_files_warns_and_does_not_block(landing: Path):
    land(JANUARY)
    (landing / "orders" / "2024-02.csv").unlink()
    checks = land(FEBRUARY)

    trend = checks["orders", "row_count_trend"]
    assert not trend.passed and trend.severity.value == "WARN"
    recorded = verdict("orders", "row_count_trend", FEBRUARY)
    assert recorded["observed"] == "no file for 2024-02"
    assert json.loads(recorded["details"])["months_without_file"] == ["2024-02"]
    assert checks["orders", "contract_suite"].passed
    assert checks["orders", "quarantine_share"].passed
