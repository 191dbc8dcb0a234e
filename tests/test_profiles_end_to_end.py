"""Businesses with partial sources, end to end through Dagster on DuckDB: each demo profile
publishes a scorecard, and what its sources cannot measure is NULL with a reason, never 0.

Each also gets an empty last month (`ecommerce-no-ads`, with no ad spend, touchpoints, CRM,
tickets, surveys, emails or item costs: a month without a single order; `b2b-crm`: a month in
which no lead changed): an empty month of a table in use is data, not an error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from pipelines.demo.generator import generate
from pipelines.exit_codes import ExitCode, RunOutcome
from pipelines.extract.contract import load_contract
from tests.pipeline_runs import AS_OF, FIRST, SECOND, THIRD, query, run

pytestmark = pytest.mark.integration

# Tables emptied in the last month, per profile.
EMPTIED = {
    "ecommerce-no-ads": ("orders", "order_items", "customers", "refunds"),
    "b2b-crm": ("leads",),
}
# KPIs of the empty month: zero counts, and the ratios over them NULL with their usual reason.
EMPTY_MONTH_KPIS = {
    "ecommerce-no-ads": {"revenue": 0, "orders": 0, "aov": "no orders in period"},
    "b2b-crm": {"leads": 0, "won_deal_value": 0, "win_rate": "no leads closed in period"},
}


def empty_month(landing: Path, tables: tuple[str, ...], month: str) -> None:
    """Replace the month's files with header-only ones."""
    for table in tables:
        columns = load_contract().table(table).column_names
        (landing / table / f"{month}.csv").write_text(",".join(columns) + "\n")


@pytest.fixture(scope="module", params=["ecommerce-no-ads", "b2b-crm"])
def profile_run(request, tmp_path_factory) -> Iterator[tuple[str, RunOutcome]]:
    folder: Path = tmp_path_factory.mktemp(request.param)
    with pytest.MonkeyPatch.context() as env:
        env.delenv("SCORECARD_HOME", raising=False)
        env.setenv("SCORECARD_TARGET", "duckdb")
        env.setenv("SCORECARD_WAREHOUSE", str(folder / "warehouse.duckdb"))
        env.setenv("SCORECARD_LANDING", str(folder / "landing"))
        env.setenv("DAGSTER_HOME", str(folder / "dagster_home"))
        env.setenv("SCORECARD_ALERT_LOG", str(folder / "alerts.log"))
        generate(
            folder / "landing", FIRST, THIRD, seed=11, scale=0.3, as_of=AS_OF, profile=request.param
        )
        empty_month(folder / "landing", EMPTIED[request.param], f"{THIRD:%Y-%m}")
        yield request.param, run(FIRST, THIRD)


def company_kpis(period) -> pd.DataFrame:
    return query(
        "select kpi, value, null_reason from marts.fct_kpi "
        "where entity_type = 'company' and period = ?",
        [period],
    ).set_index("kpi")


def test_every_month_publishes(profile_run):
    _, outcome = profile_run
    assert outcome.exit_code is ExitCode.PUBLISHED, outcome.problems
    periods = query("select distinct period from scorecard.current_entity_scores")["period"]
    assert sorted(pd.Timestamp(p).date() for p in periods) == [FIRST, SECOND, THIRD]


def test_absent_sources_give_null_kpis_with_the_reason(profile_run):
    profile, _ = profile_run
    kpis = company_kpis(SECOND)
    absent = {
        "ecommerce-no-ads": {
            "spend": "ad_spend",
            "sessions": "touchpoints",
            "leads": "leads",
            "complaint_rate": "tickets",
            "nps": "surveys",
            "gross_margin_pct": "order_items.unit_cost",
        },
        "b2b-crm": {"revenue": "orders", "spend": "ad_spend", "repurchase_rate": "orders"},
    }[profile]
    for kpi, source in absent.items():
        assert pd.isna(kpis.at[kpi, "value"]), kpi
        assert kpis.at[kpi, "null_reason"].startswith("source not provided"), kpi
        assert source in kpis.at[kpi, "null_reason"], kpi
    present = {"ecommerce-no-ads": "revenue", "b2b-crm": "leads"}[profile]
    assert kpis.at[present, "value"] > 0
    assert pd.isna(kpis.at[present, "null_reason"])


def test_an_empty_month_is_zero_not_missing(profile_run):
    profile, _ = profile_run
    kpis = company_kpis(THIRD)
    for kpi, expected in EMPTY_MONTH_KPIS[profile].items():
        if isinstance(expected, str):
            assert pd.isna(kpis.at[kpi, "value"]), kpi
            assert kpis.at[kpi, "null_reason"] == expected, kpi
        else:
            assert kpis.at[kpi, "value"] == expected, kpi
            assert pd.isna(kpis.at[kpi, "null_reason"]), kpi


def test_scores_renormalise_over_what_exists_and_say_what_was_not_scored(profile_run):
    profile, _ = profile_run
    scored_type = {"ecommerce-no-ads": "company", "b2b-crm": "rep"}[profile]
    entities = query(
        "select entity_id, total_score from scorecard.current_entity_scores "
        "where entity_type = ? and period = ?",
        [scored_type, SECOND],
    )
    assert entities["total_score"].notna().any()
    kpis = query(
        "select entity_id, kpi, effective_weight, status from scorecard.current_kpi_scores "
        "where entity_type = ? and period = ?",
        [scored_type, SECOND],
    )
    for _, entity in kpis.groupby("entity_id"):
        weights = entity["effective_weight"].fillna(0)
        if weights.sum() > 0:
            assert weights.sum() == pytest.approx(100)
    unscored = kpis[kpis["status"].fillna("").str.contains("source not provided")]
    assert not unscored.empty
    assert (unscored["effective_weight"].fillna(0) == 0).all()
