"""Scorecard configuration: the default file, validation messages, version selection, hashing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import yaml

from pipelines.config import PROJECT_ROOT, ConfigError
from pipelines.scoring.curves import PiecewiseCurve
from pipelines.scoring.kpi_catalogue import (
    KPI_CATALOGUE_FILE,
    Direction,
    EntityType,
    dbt_kpis,
    kpi_catalogue,
    load_catalogue,
)
from pipelines.scoring.scorecard import (
    ScorecardConfigError,
    ScorecardVersion,
    load_scorecard,
    scorecard_hash,
)

DEFAULT_FILE = PROJECT_ROOT / "config" / "scorecard.yaml"
# Parsed once; through JSON so that YAML aliases (shared curves) become independent copies.
DEFAULT_JSON = json.dumps(yaml.safe_load(DEFAULT_FILE.read_text()))

Edit = Callable[[dict], None]


def write(tmp_path: Path, edit: Edit) -> Path:
    """The default scorecard, edited, in a file (as JSON, which is also YAML)."""
    data = json.loads(DEFAULT_JSON)
    edit(data)
    path = tmp_path / "scorecard.yaml"
    path.write_text(json.dumps(data))
    return path


def kpi_entry(data: dict, entity_type: str, kpi: str) -> dict:
    entries = data["versions"][0]["entity_types"][entity_type]["kpis"]
    return next(entry for entry in entries if entry["kpi"] == kpi)


def load_error(tmp_path: Path, edit: Edit) -> str:
    path = write(tmp_path, edit)
    with pytest.raises(ScorecardConfigError) as raised:
        load_scorecard(path)
    message = str(raised.value)
    assert message.startswith(str(path))
    return message


def test_default_scorecard_loads() -> None:
    scorecard = load_scorecard(DEFAULT_FILE)
    version = scorecard.version_for(date(2025, 1, 1))
    assert version.version == "2025.1"
    assert set(version.entity_types) == set(EntityType)
    company = {kpi.kpi: kpi for kpi in version.entity_types[EntityType.COMPANY].kpis}
    assert [k.weight for k in company.values()] == [30, 20, 20, 15, 15]
    assert isinstance(company["complaint_rate"].curve, PiecewiseCurve)
    assert [band.grade for band in version.grade_bands] == ["A", "B", "C"]
    assert version.alert_threshold == 0.15


def test_the_2026_version_weights_teams_by_stage() -> None:
    version = load_scorecard(DEFAULT_FILE).version_for(date(2026, 1, 1))
    assert (version.version, version.rollup_basis) == ("2026.1", "revenue")
    stages = version.entity_types[EntityType.TEAM].by_stage
    weights = {stage: {k.kpi: k.weight for k in kpis} for stage, kpis in stages.items()}
    assert weights["new_business"] == {
        "new_customers": 40, "won_deal_value": 30, "training_completion": 20, "compliance_rate": 10
    }  # fmt: skip
    assert weights["mature"] == {
        "repurchase_rate": 35, "ltv": 30, "win_rate": 20, "innovation_proposals": 15
    }  # fmt: skip
    assert load_scorecard(DEFAULT_FILE).version_for(date(2025, 12, 1)).version == "2025.1"


def test_catalogue_expands_roas_per_attribution_model() -> None:
    catalogue = kpi_catalogue()
    assert catalogue["roas_time_decay"].entity_types == (EntityType.CHANNEL, EntityType.CAMPAIGN)
    assert catalogue["cac"].direction is Direction.LOWER
    assert "roas_{model}" not in catalogue
    assert catalogue["roas_time_decay"].numerator == "revenue_time_decay"


def test_catalogue_derives_roll_up_rules_and_cost_windows() -> None:
    kpis = {kpi["kpi"]: kpi for kpi in dbt_kpis()}
    assert (kpis["revenue"]["rollup"], kpis["cpm"]["rollup"]) == ("sum", "ratio of sums")
    assert kpis["lead_to_deal_days_median"]["rollup"] == "mean of months"
    assert kpis["cpm"]["scale"] == 1000
    assert (kpis["gross_margin_pct"]["cost_window"], kpis["ltv"]["cost_window"]) == (
        "month",
        "ltv_horizon",
    )
    assert kpis["revenue"]["cost_window"] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sources": ["ad_spnd"]}, "sources ['ad_spnd'] are not contract tables or table.column"),
        ({"null_reason": None}, "a KPI with a denominator needs the null_reason of a zero one"),
        ({"cost_window": "month"}, "cost_window applies to KPIs whose sources include"),
    ],
)
def test_catalogue_errors_name_the_kpi_and_the_problem(
    tmp_path: Path, change: dict, message: str
) -> None:
    data = yaml.safe_load(KPI_CATALOGUE_FILE.read_text())
    data["kpis"]["roas"].update(change)
    path = tmp_path / "kpi_catalogue.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="kpi_catalogue.yaml") as error:
        load_catalogue(path)
    assert message in str(error.value)


def test_weights_not_summing_to_100_name_the_entity_type_and_the_sum(tmp_path: Path) -> None:
    message = load_error(tmp_path, lambda d: kpi_entry(d, "team", "revenue").update(weight=30))
    assert "version 'baseline'" in message
    assert "team: weights sum to 95, expected 100" in message


def test_unknown_kpi(tmp_path: Path) -> None:
    message = load_error(
        tmp_path, lambda d: kpi_entry(d, "company", "revenue").update(kpi="revnue")
    )
    assert "company: revnue: unknown KPI" in message


def test_kpi_not_available_for_the_entity_type(tmp_path: Path) -> None:
    message = load_error(
        tmp_path, lambda d: kpi_entry(d, "channel", "leads").update(kpi="won_deal_value")
    )
    assert "channel: won_deal_value: not available for channel (only company, team, rep)" in message


def test_direction_must_match_the_catalogue(tmp_path: Path) -> None:
    message = load_error(
        tmp_path, lambda d: kpi_entry(d, "campaign", "cac").update(direction="higher")
    )
    assert (
        "campaign: cac: direction higher contradicts the KPI catalogue (lower is better)" in message
    )


def test_kpi_listed_twice(tmp_path: Path) -> None:
    def duplicate_roas(data: dict) -> None:
        kpi_entry(data, "campaign", "cac").update(kpi="roas", direction="higher")

    assert "campaign: KPI listed twice: roas" in load_error(tmp_path, duplicate_roas)


def test_bad_curve(tmp_path: Path) -> None:
    message = load_error(
        tmp_path, lambda d: kpi_entry(d, "team", "complaint_rate")["curve"].update(floor=1.0)
    )
    assert "entity_types.team.kpis.4.curve.piecewise" in message
    assert "needs floor < target < stretch, got floor 1.0, target 1.0, stretch 1.2" in message


def test_bad_grade_bands(tmp_path: Path) -> None:
    def unordered(data: dict) -> None:
        data["versions"][0]["grade_bands"][0]["min_score"] = 70

    assert "grade_bands must go from the best band down" in load_error(tmp_path, unordered)

    def no_floor(data: dict) -> None:
        data["versions"][0]["grade_bands"][-1]["min_score"] = 50

    assert "the last at 0; got [90.0, 80.0, 50.0]" in load_error(tmp_path, no_floor)


def test_bad_bonus_tiers(tmp_path: Path) -> None:
    def unordered(data: dict) -> None:
        data["versions"][0]["bonus_tiers"][1]["min_achievement"] = 1.1

    assert "bonus_tiers must go up from min_achievement 0" in load_error(tmp_path, unordered)


def test_stage_lists_only_for_known_team_stages(tmp_path: Path) -> None:
    def stage(entity_type: str, name: str) -> Edit:
        def edit(data: dict) -> None:
            scorecard = data["versions"][0]["entity_types"][entity_type]
            scorecard["by_stage"] = {name: scorecard["kpis"]}

        return edit

    assert load_scorecard(write(tmp_path, stage("team", "new_business")))
    assert "team (stage growth): unknown stage (team stages: new_business, mature)" in load_error(
        tmp_path, stage("team", "growth")
    )
    assert "channel (stage mature): by_stage is only for team and rep" in load_error(
        tmp_path, stage("channel", "mature")
    )


def rule_edit(entity_type: str, kpi: str, rule: dict) -> Edit:
    return lambda d: kpi_entry(d, entity_type, kpi).update(target=rule)


def target_error(tmp_path: Path, entity_type: str, kpi: str, rule: dict) -> str:
    return load_error(tmp_path, rule_edit(entity_type, kpi, rule))


def test_target_rules_are_checked(tmp_path: Path) -> None:
    for rule in (
        {"source": "previous_period", "change": -0.05},
        {"source": "company_share", "share_by": "revenue"},
    ):
        assert load_scorecard(write(tmp_path, rule_edit("rep", "won_deal_value", rule)))
    assert "change applies only to source: last_year or previous_period" in target_error(
        tmp_path, "rep", "revenue", {"change": 0.1}
    )
    assert "share_by is required by, and only by, source: company_share" in target_error(
        tmp_path, "rep", "revenue", {"source": "company_share"}
    )
    assert "company_share needs an additive share_by (currency or count), win_rate is ratio" in (
        target_error(
            tmp_path, "rep", "revenue", {"source": "company_share", "share_by": "win_rate"}
        )
    )
    assert "company: revenue: company_share cannot set the company's own target" in target_error(
        tmp_path, "company", "revenue", {"source": "company_share", "share_by": "revenue"}
    )
    assert "win_rate: company_share needs an additive KPI (currency or count)" in target_error(
        tmp_path, "rep", "win_rate", {"source": "company_share", "share_by": "revenue"}
    )


def test_rollup_basis_is_equal_or_a_team_and_rep_kpi(tmp_path: Path) -> None:
    def basis(name: str) -> Edit:
        return lambda d: d["versions"][0].update(rollup={"basis": name})

    assert load_scorecard(write(tmp_path, basis("revenue"))).versions[0].rollup_basis == "revenue"
    assert load_scorecard(DEFAULT_FILE).versions[0].rollup_basis is None
    assert "rollup basis must be 'equal' or a KPI of team, rep, got 'roas'" in load_error(
        tmp_path, basis("roas")
    )


def second_version(effective_from: str | None, name: str = "2025.2") -> Edit:
    """Versions 2025.1 (from 2025-01) and a copy of it named `name`, effective as given."""

    def edit(data: dict) -> None:
        first = data["versions"][1]
        later = {**json.loads(json.dumps(first)), "version": name}
        later.pop("effective_from")
        if effective_from is not None:
            later["effective_from"] = effective_from
        data["versions"] = [first, later]

    return edit


def test_duplicate_versions_and_unsorted_effective_from(tmp_path: Path) -> None:
    assert "duplicate version: 2025.1" in load_error(tmp_path, second_version("2025-07", "2025.1"))
    assert "effective_from must increase" in load_error(tmp_path, second_version("2024-07"))
    assert "effective_from must increase" in load_error(tmp_path, second_version("2025-01"))


def test_version_for_picks_the_latest_effective_version(tmp_path: Path) -> None:
    scorecard = load_scorecard(write(tmp_path, second_version("2025-07")))
    assert scorecard.version_for(date(2025, 6, 1)).version == "2025.1"
    assert scorecard.version_for(date(2025, 7, 1)).version == "2025.2"
    assert scorecard.version_for(date(2026, 3, 1)).version == "2025.2"
    with pytest.raises(ScorecardConfigError, match="no scorecard version is effective in 2024-12"):
        scorecard.version_for(date(2024, 12, 1))


def test_hash_changes_when_a_weight_changes() -> None:
    version = load_scorecard(DEFAULT_FILE).version_for(date(2025, 1, 1))
    data = version.model_dump(mode="json")
    assert scorecard_hash(ScorecardVersion.model_validate(data)) == scorecard_hash(version)
    team = data["entity_types"]["team"]["kpis"]
    team[0]["weight"], team[1]["weight"] = 30, 30  # revenue 35 -> 30, new_customers 25 -> 30
    changed = ScorecardVersion.model_validate(data)
    assert len(scorecard_hash(version)) == 64
    assert scorecard_hash(changed) != scorecard_hash(version)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ScorecardConfigError, match="file not found") as raised:
        load_scorecard(tmp_path / "absent.yaml")
    assert isinstance(raised.value, ConfigError)
    assert isinstance(raised.value, ValueError)


PUBLISHED_HASHES = {
    "2025.1": "5a4010c654579a725275055c0b89edbfa53b490f30e4b22eab6883ce889dc1ab",
    "2026.1": "68d769591198d0ff96545ad3b742fa2438e0a25168bb8f526dabd8e554c44a00",
}


def test_published_versions_keep_their_hashes() -> None:
    """Snapshots record these: the shipped file may add versions, never change these two."""
    hashes = {v.version: scorecard_hash(v) for v in load_scorecard(DEFAULT_FILE).versions}
    assert {name: hashes[name] for name in PUBLISHED_HASHES} == PUBLISHED_HASHES


def test_the_shipped_baseline_scores_any_earlier_period() -> None:
    scorecard = load_scorecard(DEFAULT_FILE)
    assert [v.effective_label for v in scorecard.versions] == ["beginning", "2025-01", "2026-01"]
    assert scorecard.version_for(date(2023, 3, 1)).version == "baseline"
    assert scorecard.version_for(date(2024, 12, 1)).version == "baseline"
    assert scorecard.version_for(date(2025, 1, 1)).version == "2025.1"
    baseline, published = scorecard.versions[0], scorecard.versions[1]
    assert baseline.entity_types == published.entity_types


def test_only_the_first_version_may_be_effective_from_the_beginning(tmp_path: Path) -> None:
    def beginning_first(data: dict) -> None:
        data["versions"][0]["effective_from"] = "beginning"

    scorecard = load_scorecard(write(tmp_path, beginning_first))
    assert scorecard.version_for(date(1999, 1, 1)).version == "baseline"
    message = load_error(tmp_path, second_version(None))
    assert "version 2025.2: effective_from is required; only the first version may omit it" in (
        message
    )
    assert "only the first version" in load_error(tmp_path, second_version("beginning"))


def test_versions_still_increase_after_one_from_the_beginning(tmp_path: Path) -> None:
    def reorder(data: dict) -> None:
        data["versions"][1]["effective_from"] = "2026-01"

    assert "effective_from must increase" in load_error(tmp_path, reorder)
    assert "['beginning', '2026-01', '2026-01']" in load_error(tmp_path, reorder)
