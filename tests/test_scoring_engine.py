"""The scoring engine on small hand-computed cases: the arithmetic is in the comments."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.periods import add_months
from pipelines.scoring.engine import (
    ALERT_COLUMNS,
    ENTITY_SCORE_COLUMNS,
    KPI_SCORE_COLUMNS,
    ScoredPeriod,
    rolled_up_scores,
    score_period,
)
from pipelines.scoring.scorecard import ScorecardVersion, load_scorecard

PERIOD = date(2025, 6, 1)
CAPPED = {"type": "ratio", "cap": 1.2}
STEEP = {"type": "piecewise", "floor": 0.5, "target": 1.0, "stretch": 1.2, "stretch_score": 120}
DIRECTIONS = {"lead_to_deal_days": "lower", "complaint_rate": "lower", "cac": "lower"}


def scored_kpi(kpi: str, weight: float, curve: dict = CAPPED, **options: object) -> dict:
    direction = DIRECTIONS.get(kpi, "higher")
    return {
        "kpi": kpi,
        "weight": weight,
        "direction": direction,
        "perspective": "financial",
        "curve": curve,
        **options,
    }


def version(**kpi_lists: list[dict]) -> ScorecardVersion:
    """A version scoring each entity type given on its KPI list."""
    return ScorecardVersion.model_validate(
        {
            "version": "test",
            "effective_from": "2025-01",
            "entity_types": {
                entity_type: {"kpis": kpis} for entity_type, kpis in kpi_lists.items()
            },
        }
    )


def kpis(*rows: tuple, months_ago: int = 0) -> pd.DataFrame:
    """Rows (entity_type, entity_id, kpi, value[, null_reason]) of the period `months_ago`
    before PERIOD."""
    period = add_months(PERIOD, -months_ago)
    return pd.DataFrame(
        [(period, *row, None)[:6] for row in rows],
        columns=["period", "entity_type", "entity_id", "kpi", "value", "null_reason"],
    )


def targets(*rows: tuple) -> pd.DataFrame:
    """Rows (entity_type, entity_id, kpi, target_value) of PERIOD."""
    return pd.DataFrame(
        [(PERIOD, *row) for row in rows],
        columns=["period", "entity_type", "entity_id", "kpi", "target_value"],
    )


def reps(*rep_ids: str, stage: str | None = "mature", team: str = "t1") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "entity_type": "rep",
            "entity_id": list(rep_ids),
            "parent_entity_id": team,
            "stage": stage,
        }
    )


def score(
    kpi_frames: list[pd.DataFrame],
    target_frame: pd.DataFrame,
    entities: pd.DataFrame,
    scorecard: ScorecardVersion,
) -> ScoredPeriod:
    return score_period(
        PERIOD, pd.concat(kpi_frames, ignore_index=True), target_frame, entities, scorecard
    )


def kpi_row(scored: ScoredPeriod, entity_id: str, kpi: str) -> pd.Series:
    frame = scored.kpi_scores
    return frame[(frame["entity_id"] == entity_id) & (frame["kpi"] == kpi)].iloc[0]


def entity_row(scored: ScoredPeriod, entity_id: str) -> pd.Series:
    frame = scored.entity_scores
    return frame[frame["entity_id"] == entity_id].iloc[0]


def test_capped_ratio_scores_and_weights() -> None:
    scored = score(
        [kpis(("rep", "r1", "revenue", 150.0), ("rep", "r1", "leads", 80.0))],
        targets(("rep", "r1", "revenue", 100.0), ("rep", "r1", "leads", 100.0)),
        reps("r1"),
        version(rep=[scored_kpi("revenue", 60), scored_kpi("leads", 40)]),
    )
    revenue = kpi_row(scored, "r1", "revenue")
    # 150 / 100 = 1.5, capped at 1.2 -> 120 points; weight 60 -> 120 x 60 / 100 = 72
    assert (revenue["achievement"], revenue["score"], revenue["weighted_score"]) == (1.5, 120, 72)
    assert (revenue["perspective"], revenue["status"]) == ("financial", "scored")
    leads = kpi_row(scored, "r1", "leads")
    # 80 / 100 = 0.8 -> 80 points; 80 x 40 / 100 = 32
    assert (leads["score"], leads["effective_weight"], leads["weighted_score"]) == (80, 40, 32)
    rep = entity_row(scored, "r1")
    # total 72 + 32 = 104 -> A; basis (1.2 x 60 + 0.8 x 40) / 100 = 1.04 -> tier 1.0..1.2 = 1.2
    assert (rep["total_score"], rep["grade"], rep["grade_label"]) == (104, "A", "high potential")
    assert rep["achievement_basis"] == pytest.approx(1.04)
    assert rep["bonus_multiplier"] == 1.2
    assert rep["parent_entity_id"] == "t1"


def test_lower_is_better_zero_values_and_a_piecewise_curve() -> None:
    scored = score(
        [
            kpis(
                ("rep", "r1", "lead_to_deal_days", 40.0),
                ("rep", "r1", "complaint_rate", 0.8),
                ("rep", "r2", "lead_to_deal_days", 0.0),
                ("rep", "r2", "complaint_rate", 1.2),
            )
        ],
        targets(
            ("rep", "r1", "lead_to_deal_days", 32.0),
            ("rep", "r1", "complaint_rate", 0.6),
            ("rep", "r2", "lead_to_deal_days", 32.0),
            ("rep", "r2", "complaint_rate", 0.6),
        ),
        reps("r1", "r2"),
        version(rep=[scored_kpi("lead_to_deal_days", 50), scored_kpi("complaint_rate", 50, STEEP)]),
    )
    # target / value = 32 / 40 = 0.8 -> 80 points
    assert kpi_row(scored, "r1", "lead_to_deal_days")["score"] == pytest.approx(80)
    # 0.6 / 0.8 = 0.75, halfway from floor 0.5 to target 1.0 -> 50 points
    assert kpi_row(scored, "r1", "complaint_rate")["score"] == pytest.approx(50)
    # total 80 x 0.5 + 50 x 0.5 = 65 -> C
    assert entity_row(scored, "r1")[["total_score", "grade"]].tolist() == [65, "C"]
    # value 0 beats a positive target: the curve's maximum, achievement at its cap
    zero = kpi_row(scored, "r2", "lead_to_deal_days")
    assert (zero["achievement"], zero["score"], zero["status"]) == (1.2, 120, "scored")
    # 0.6 / 1.2 = 0.5, at the floor -> 0 points
    assert kpi_row(scored, "r2", "complaint_rate")["score"] == 0


def test_zero_value_where_higher_is_better_scores_zero() -> None:
    scored = score(
        [kpis(("rep", "r1", "revenue", 0.0))],
        targets(("rep", "r1", "revenue", 100.0)),
        reps("r1"),
        version(rep=[scored_kpi("revenue", 100)]),
    )
    assert kpi_row(scored, "r1", "revenue")[["achievement", "score"]].tolist() == [0, 0]
    assert entity_row(scored, "r1")[["total_score", "grade", "bonus_multiplier"]].tolist() == [
        0,
        "C",
        0,
    ]


def test_inapplicable_kpis_give_their_weight_to_the_others() -> None:
    scored = score(
        [
            kpis(
                ("rep", "r1", "revenue", 100.0),
                ("rep", "r1", "leads", 50.0),
                ("rep", "r1", "win_rate", 0.3),
                ("rep", "r2", "revenue", np.nan),
                ("rep", "r2", "leads", 10.0),
            )
        ],
        targets(
            ("rep", "r1", "revenue", 100.0),
            ("rep", "r1", "leads", 100.0),
            ("rep", "r2", "revenue", 100.0),
            ("rep", "r2", "leads", 0.0),
            ("rep", "r2", "win_rate", 0.2),
        ),
        reps("r1", "r2"),
        version(
            rep=[scored_kpi("revenue", 50), scored_kpi("leads", 30), scored_kpi("win_rate", 20)]
        ),
    )
    r1 = scored.kpi_scores[scored.kpi_scores["entity_id"] == "r1"].set_index("kpi")
    # win_rate has no target: its 20 goes to revenue and leads in proportion to 50 : 30,
    # revenue 50 x 100 / 80 = 62.5, leads 30 x 100 / 80 = 37.5
    assert r1["status"].to_dict() == {
        "leads": "scored",
        "revenue": "scored",
        "win_rate": "no target",
    }
    assert r1["weight"].to_dict() == {"leads": 30, "revenue": 50, "win_rate": 20}
    assert r1["effective_weight"].to_dict() == {"leads": 37.5, "revenue": 62.5, "win_rate": 0}
    assert np.isnan(r1.loc["win_rate", "score"])
    # total 100 x 0.625 + 50 x 0.375 = 62.5 + 18.75 = 81.25 -> B
    assert entity_row(scored, "r1")[["total_score", "grade"]].tolist() == [81.25, "B"]
    # r2: revenue null, leads target 0, win_rate no row at all: nothing applies
    r2 = scored.kpi_scores[scored.kpi_scores["entity_id"] == "r2"].set_index("kpi")
    assert r2["status"].to_dict() == {
        "leads": "target not positive",
        "revenue": "no value",
        "win_rate": "no value",
    }
    empty = entity_row(scored, "r2")
    assert (
        empty[["total_score", "achievement_basis", "bonus_multiplier", "percentile"]].isna().all()
    )
    assert empty["grade"] is None and empty["grade_label"] is None and pd.isna(empty["rank"])


def test_grade_band_and_bonus_tier_edges() -> None:
    values = {
        "r90": 90,
        "r89": 89.99,
        "r80": 80,
        "r79": 79.99,
        "r100": 100,
        "r119": 119.99,
        "r120": 120,
    }
    scored = score(
        [kpis(*[("rep", rep, "revenue", float(value)) for rep, value in values.items()])],
        targets(*[("rep", rep, "revenue", 100.0) for rep in values]),
        reps(*values),
        version(rep=[scored_kpi("revenue", 100)]),
    )
    result = scored.entity_scores.set_index("entity_id")
    # total = value (target 100, one KPI); A from 90, B from 80, C below
    assert result["grade"].to_dict() == {
        "r90": "A", "r89": "B", "r80": "B", "r79": "C", "r100": "A", "r119": "A", "r120": "A"
    }  # fmt: skip
    # basis = value / 100: 0 below 0.8, 1.0 from 0.8, 1.2 from 1.0, 1.5 from 1.2
    assert result["bonus_multiplier"].to_dict() == {
        "r90": 1.0, "r89": 1.0, "r80": 1.0, "r79": 0.0, "r100": 1.2, "r119": 1.2, "r120": 1.5
    }  # fmt: skip


def test_float_noise_does_not_cross_an_edge() -> None:
    # 0.99 / 1.1 is 0.9 but computes as 0.8999999999999999: still exactly 90 points, grade A;
    # 0.88 / 1.1 is 0.8 (computes as 0.7999999999999999): still bonus tier 1.0.
    scored = score(
        [kpis(("rep", "r1", "revenue", 0.99), ("rep", "r2", "revenue", 0.88))],
        targets(("rep", "r1", "revenue", 1.1), ("rep", "r2", "revenue", 1.1)),
        reps("r1", "r2"),
        version(rep=[scored_kpi("revenue", 100)]),
    )
    assert entity_row(scored, "r1")[["total_score", "grade"]].tolist() == [90, "A"]
    assert entity_row(scored, "r2")[["achievement_basis", "bonus_multiplier"]].tolist() == [0.8, 1]


def test_rank_ties_and_percentile_within_the_entity_type() -> None:
    values = {"r1": 100.0, "r2": 90.0, "r3": 90.0, "r4": 70.0, "r5": np.nan}
    scored = score(
        [
            kpis(*[("rep", rep, "revenue", value) for rep, value in values.items()]),
            kpis(("channel", "email", "revenue", 10.0)),
        ],
        targets(
            *[("rep", rep, "revenue", 100.0) for rep in values],
            ("channel", "email", "revenue", 100),
        ),
        pd.concat(
            [
                reps(*values),
                pd.DataFrame([("channel", "email", "company", None)], columns=reps().columns),
            ]
        ),
        version(rep=[scored_kpi("revenue", 100)], channel=[scored_kpi("revenue", 100)]),
    )
    result = scored.entity_scores.set_index("entity_id")
    # ties share the best rank; r5 has no score, so no rank and is not a peer
    assert result.loc[["r1", "r2", "r3", "r4"], "rank"].tolist() == [1, 2, 2, 4]
    assert pd.isna(result.loc["r5", "rank"])
    # share of the 4 scored reps at or below: 4/4, 3/4, 3/4, 1/4
    assert result.loc[["r1", "r2", "r3", "r4"], "percentile"].tolist() == [100, 75, 75, 25]
    # the channel is ranked among channels only, even with a total of 10
    assert result.loc["email", ["rank", "percentile"]].tolist() == [1, 100]


def test_peer_median_and_top_decile_by_entity_type_and_stage() -> None:
    mature = {"r1": 10.0, "r2": 20.0, "r3": 30.0, "r4": 40.0, "r5": 50.0, "r6": np.nan}
    scored = score(
        [
            kpis(*[("rep", rep, "revenue", value) for rep, value in mature.items()]),
            kpis(*[("rep", rep, "lead_to_deal_days", value) for rep, value in mature.items()]),
            kpis(("rep", "n1", "revenue", 100.0), ("rep", "n1", "lead_to_deal_days", 5.0)),
        ],
        targets(),
        pd.concat([reps(*mature), reps("n1", stage="new_business", team="t2")]),
        version(rep=[scored_kpi("revenue", 50), scored_kpi("lead_to_deal_days", 50)]),
    )
    # mature peers' values 10, 20, 30, 40, 50 (r6 has none): median 30;
    # 90th percentile at position 0.9 x 4 = 3.6: 40 + 0.6 x 10 = 46 (higher is better);
    # 10th percentile at position 0.4: 10 + 0.4 x 10 = 14 (lower is better)
    for rep in ("r1", "r6"):
        assert kpi_row(scored, rep, "revenue")[["peer_median", "peer_top_decile"]].tolist() == [
            30,
            pytest.approx(46),
        ]
        days = kpi_row(scored, rep, "lead_to_deal_days")
        assert days[["peer_median", "peer_top_decile"]].tolist() == [30, pytest.approx(14)]
    # the new-business rep is its own peer group
    assert kpi_row(scored, "n1", "revenue")[["peer_median", "peer_top_decile"]].tolist() == [
        100,
        100,
    ]


def test_previous_and_year_ago_values() -> None:
    scored = score(
        [
            kpis(("rep", "r1", "revenue", 100.0), ("rep", "r2", "revenue", 50.0)),
            kpis(("rep", "r1", "revenue", 90.0), months_ago=1),
            kpis(("rep", "r1", "revenue", 70.0), months_ago=12),
            kpis(("rep", "r1", "revenue", 60.0), ("rep", "r2", "revenue", 1.0), months_ago=13),
        ],
        targets(("rep", "r1", "revenue", 100.0)),
        reps("r1", "r2"),
        version(rep=[scored_kpi("revenue", 100)]),
    )
    assert kpi_row(scored, "r1", "revenue")[["previous_value", "year_ago_value"]].tolist() == [
        90,
        70,
    ]
    assert kpi_row(scored, "r2", "revenue")[["previous_value", "year_ago_value"]].isna().all()


def test_alert_when_a_value_moves_more_than_the_threshold_from_its_trailing_mean() -> None:
    current = {"at": 115.0, "over": 116.0, "down": 84.0, "short": 120.0, "new": 500.0, "zero": 5.0}
    trailing = {  # months_ago -> values; mean of 3 months: (90 + 100 + 110) / 3 = 100
        1: {"at": 110.0, "over": 110.0, "down": 110.0, "short": 100.0, "zero": 0.0},
        2: {"at": 100.0, "over": 100.0, "down": 100.0, "zero": 0.0},
        3: {"at": 90.0, "over": 90.0, "down": 90.0, "short": np.nan},
    }
    scored = score(
        [kpis(*[("rep", rep, "revenue", value) for rep, value in current.items()])]
        + [
            kpis(*[("rep", rep, "revenue", value) for rep, value in values.items()], months_ago=ago)
            for ago, values in trailing.items()
        ],
        targets(),
        reps(*current),
        version(rep=[scored_kpi("revenue", 100)]),
    )
    result = scored.kpi_scores.set_index("entity_id")
    # at: (115 - 100) / 100 = 0.15, not more than 0.15; over: 0.16; down: -0.16;
    # short: only one trailing month (100): 0.2; new: no history; zero: a zero mean is no baseline
    assert result["alert"].to_dict() == {
        "at": False, "down": True, "new": False, "over": True, "short": True, "zero": False
    }  # fmt: skip
    assert result["alert_change"].to_dict() == pytest.approx(
        {"at": 0.15, "down": -0.16, "new": np.nan, "over": 0.16, "short": 0.2, "zero": np.nan},
        nan_ok=True,
    )
    # the alerts table: one row per alert, with its baseline, change, direction and threshold
    table = scored.alerts.set_index("entity_id")
    assert table.columns.tolist() == [c for c in ALERT_COLUMNS if c != "entity_id"]
    assert table[["value", "baseline", "change", "direction"]].to_dict("index") == {
        "down": {"value": 84.0, "baseline": 100.0, "change": -0.16, "direction": "down"},
        "over": {"value": 116.0, "baseline": 100.0, "change": 0.16, "direction": "up"},
        "short": {"value": 120.0, "baseline": 100.0, "change": 0.2, "direction": "up"},
    }
    assert (table["threshold"] == 0.15).all() and (table["period"] == PERIOD).all()


@pytest.mark.parametrize(
    ("rule", "months_ago", "target", "points"),
    [
        # last year + 10%: 100 x 1.1 = 110; 99 / 110 = 0.9 -> 90 points
        ({"source": "last_year", "change": 0.1}, 12, 110, 90),
        # last month - 20%: 100 x 0.8 = 80; 99 / 80 = 1.2375, capped at 1.2 -> 120 points
        ({"source": "previous_period", "change": -0.2}, 1, 80, 120),
    ],
)
def test_targets_from_a_past_value_and_a_change(
    rule: dict, months_ago: int, target: float, points: float
) -> None:
    scored = score(
        [
            kpis(("rep", "r1", "revenue", 99.0), ("rep", "r2", "revenue", 99.0)),
            kpis(("rep", "r1", "revenue", 100.0), months_ago=months_ago),
            # r2's history is in the other month: the rule finds no value to start from
            kpis(("rep", "r2", "revenue", 100.0), months_ago=13 - months_ago),
        ],
        targets(("rep", "r1", "revenue", 50.0)),  # ignored: the rule sets the target
        reps("r1", "r2"),
        version(rep=[scored_kpi("revenue", 100, target=rule)]),
    )
    r1 = kpi_row(scored, "r1", "revenue")
    assert r1[["target", "score"]].tolist() == [pytest.approx(target), pytest.approx(points)]
    assert kpi_row(scored, "r2", "revenue")["status"] == "no target"


def test_company_targets_decompose_by_last_months_share() -> None:
    rule = {"source": "company_share", "share_by": "revenue"}
    entities = pd.DataFrame(
        [
            ("company", "company", None, None),
            ("team", "t1", "company", "mature"),
            ("rep", "r1", "t1", "mature"),
            ("rep", "r2", "t1", "mature"),
            ("rep", "r3", "t1", "mature"),
        ],
        columns=["entity_type", "entity_id", "parent_entity_id", "stage"],
    )
    scored = score(
        [
            kpis(*[(t, e, "won_deal_value", 50.0) for t, e in entities.iloc[1:, :2].values]),
            kpis(
                ("company", "company", "revenue", 1000.0),
                ("team", "t1", "revenue", 800.0),
                ("rep", "r1", "revenue", 600.0),
                ("rep", "r2", "revenue", 200.0),
                months_ago=1,
            ),
        ],
        targets(("company", "company", "won_deal_value", 500.0)),
        entities,
        version(
            team=[scored_kpi("won_deal_value", 100, target=rule)],
            rep=[scored_kpi("won_deal_value", 100, target=rule)],
        ),
    )
    # last month's revenue shares of the company's 1000: t1 0.8, r1 0.6, r2 0.2, r3 none;
    # targets 500 x share: t1 400, r1 300, r2 100; r3 has no share, so no target
    result = scored.kpi_scores.set_index("entity_id")
    assert result["target"].to_dict() == pytest.approx(
        {"t1": 400.0, "r1": 300.0, "r2": 100.0, "r3": np.nan}, nan_ok=True
    )
    # r2: 50 / 100 = 0.5 -> 50 points
    assert result.loc["r2", "score"] == pytest.approx(50)
    assert result.loc["r3", "status"] == "no target"


def test_scores_roll_up_reps_to_teams_to_parent_teams_to_the_company() -> None:
    scores = pd.DataFrame(
        [
            ("company", "company", None, 70.0),
            ("team", "top", "company", 10.0),
            ("team", "east", "top", 20.0),
            ("team", "west", "top", 30.0),
            ("team", "empty", "company", 40.0),
            ("rep", "e1", "east", 90.0),
            ("rep", "e2", "east", 60.0),
            ("rep", "w1", "west", 80.0),
            ("rep", "w2", "west", np.nan),
            ("rep", "t1", "top", 50.0),
            ("channel", "search", "company", 99.0),
        ],
        columns=["entity_type", "entity_id", "parent_entity_id", "total_score"],
    )
    equal = dict(zip(scores["entity_id"], rolled_up_scores(scores, None), strict=True))
    # east (90 + 60) / 2 = 75; west 80 (w2 unscored); top (75 + 80 + 50) / 3 = 68.33..;
    # empty: nothing below -> null; company: only top -> 68.33..; a channel is not rolled up
    assert equal == pytest.approx(
        {
            "company": 205 / 3, "top": 205 / 3, "east": 75.0, "west": 80.0, "empty": np.nan,
            "e1": 90.0, "e2": 60.0, "w1": 80.0, "w2": np.nan, "t1": 50.0, "search": np.nan,
        },
        nan_ok=True,
    )  # fmt: skip
    revenue = pd.Series(
        {("rep", "e1"): 300.0, ("rep", "e2"): 100.0, ("rep", "w1"): 200.0, ("rep", "t1"): 0.0,
         ("team", "east"): 400.0, ("team", "west"): 100.0, ("team", "top"): 500.0}
    )  # fmt: skip
    weighted = dict(zip(scores["entity_id"], rolled_up_scores(scores, revenue), strict=True))
    # east (90 x 300 + 60 x 100) / 400 = 82.5; top (82.5 x 400 + 80 x 100) / 500 = 82
    # (t1 weighs 0); company: top alone = 82
    assert [weighted[e] for e in ("east", "west", "top", "company")] == pytest.approx(
        [82.5, 80.0, 82.0, 82.0]
    )


def test_reps_peer_and_rank_with_reps_of_the_same_role() -> None:
    entities = reps("a1", "a2", "b1").assign(peer_group=["sdr", "sdr", "ae"])
    values = {"a1": 10.0, "a2": 30.0, "b1": 100.0}
    scored = score(
        [kpis(*[("rep", rep, "revenue", value) for rep, value in values.items()])],
        targets(*[("rep", rep, "revenue", 100.0) for rep in values]),
        entities,
        version(rep=[scored_kpi("revenue", 100)]),
    )
    medians = scored.kpi_scores.set_index("entity_id")["peer_median"].to_dict()
    assert medians == {"a1": 20.0, "a2": 20.0, "b1": 100.0}
    # scores 10, 30, 100: a2 leads the SDRs, b1 is the only AE
    ranks = scored.entity_scores.set_index("entity_id")[["peer_group", "rank", "percentile"]]
    assert ranks.to_dict("index") == {
        "a1": {"peer_group": "sdr", "rank": 2, "percentile": 50.0},
        "a2": {"peer_group": "sdr", "rank": 1, "percentile": 100.0},
        "b1": {"peer_group": "ae", "rank": 1, "percentile": 100.0},
    }


def test_stage_lists_replace_the_default_for_teams_and_their_reps() -> None:
    scorecard = ScorecardVersion.model_validate(
        {
            "version": "test",
            "effective_from": "2025-01",
            "entity_types": {
                entity_type: {
                    "kpis": [scored_kpi("revenue", 100)],
                    "by_stage": {"new_business": [scored_kpi("leads", 100)]},
                }
                for entity_type in ("team", "rep")
            },
        }
    )
    entities = pd.DataFrame(
        [
            ("team", "t_new", "company", "new_business"),
            ("team", "t_old", "company", "mature"),
            ("team", "t_unset", "company", None),  # a team without a stage: the default list
            ("rep", "r_new", "t_new", "new_business"),
            ("rep", "r_old", "t_old", "mature"),
            ("rep", "r_unset", "t_unset", None),
        ],
        columns=["entity_type", "entity_id", "parent_entity_id", "stage"],
    )
    values = [
        (entity_type, entity_id, kpi, 1.0)
        for entity_type, entity_id in entities[["entity_type", "entity_id"]].itertuples(index=False)
        for kpi in ("revenue", "leads")
    ]
    scored = score([kpis(*values)], targets(), entities, scorecard)
    assert scored.kpi_scores[["entity_id", "kpi"]].values.tolist() == [
        ["r_new", "leads"],
        ["r_old", "revenue"],
        ["r_unset", "revenue"],
        ["t_new", "leads"],
        ["t_old", "revenue"],
        ["t_unset", "revenue"],
    ]


def test_scored_entities_columns_and_order() -> None:
    entities = pd.concat(
        [
            reps("r2", "r1", "r_quiet"),
            pd.DataFrame([("channel", "email", "company", None)], columns=reps().columns),
        ]
    )
    scored = score(
        [
            kpis(
                ("rep", "r2", "revenue", 1.0),
                ("rep", "r2", "orders", 3.0),  # not scored: not on the scorecard
                ("rep", "r1", "orders", 2.0),  # enough to be scored: a KPI row this period
                ("channel", "email", "revenue", 1.0),  # channels are not on this scorecard
            ),
            kpis(("rep", "r_quiet", "revenue", 1.0), months_ago=1),  # nothing this period
        ],
        targets(),
        entities,
        version(rep=[scored_kpi("revenue", 60), scored_kpi("leads", 40)]),
    )
    assert list(scored.kpi_scores.columns) == KPI_SCORE_COLUMNS
    assert list(scored.entity_scores.columns) == ENTITY_SCORE_COLUMNS
    assert scored.kpi_scores[["entity_id", "kpi"]].values.tolist() == [
        ["r1", "leads"],
        ["r1", "revenue"],
        ["r2", "leads"],
        ["r2", "revenue"],
    ]
    assert scored.entity_scores["entity_id"].tolist() == ["r1", "r2"]
    assert set(scored.kpi_scores["period"]) == set(scored.entity_scores["period"]) == {PERIOD}


def test_no_entity_to_score_gives_empty_frames_with_all_columns() -> None:
    scored = score(
        [kpis(("rep", "r1", "revenue", 1.0), months_ago=1)],
        targets(),
        reps("r1"),
        version(rep=[scored_kpi("revenue", 100)]),
    )
    assert scored.kpi_scores.empty and list(scored.kpi_scores.columns) == KPI_SCORE_COLUMNS
    assert scored.entity_scores.empty and list(scored.entity_scores.columns) == ENTITY_SCORE_COLUMNS


def test_duplicate_kpi_rows_are_refused() -> None:
    duplicated = kpis(("rep", "r1", "revenue", 1.0), ("rep", "r1", "revenue", 2.0))
    with pytest.raises(ValueError, match=r"kpis: 1 duplicate row\(s\)"):
        score([duplicated], targets(), reps("r1"), version(rep=[scored_kpi("revenue", 100)]))


def test_periods_must_be_dates() -> None:
    timestamps = kpis(("rep", "r1", "revenue", 1.0)).astype({"period": "datetime64[ns]"})
    with pytest.raises(TypeError, match=r"kpis.period must hold datetime.date values"):
        score([timestamps], targets(), reps("r1"), version(rep=[scored_kpi("revenue", 100)]))


def test_the_default_scorecard_scores_a_company_on_target() -> None:
    default = load_scorecard(PROJECT_ROOT / "config" / "scorecard.yaml").version_for(PERIOD)
    on_target = {"revenue": 1000.0, "new_customers": 10.0, "roas": 4.0, "cac": 50.0}
    scored = score(
        [
            kpis(*[("company", "company", kpi, value) for kpi, value in on_target.items()]),
            kpis(("company", "company", "complaint_rate", 0.0)),
        ],
        targets(
            *[("company", "company", kpi, value) for kpi, value in on_target.items()],
            ("company", "company", "complaint_rate", 0.5),
        ),
        pd.DataFrame([("company", "company", None, None)], columns=reps().columns),
        default,
    )
    # four KPIs at 100 points (weights 30 + 20 + 20 + 15), no complaints: 120 points (weight 15)
    # total 85 + 120 x 0.15 = 103; basis 0.85 + 1.2 x 0.15 = 1.03 -> bonus 1.2
    company = entity_row(scored, "company")
    assert company[["total_score", "grade", "bonus_multiplier"]].tolist() == [103, "A", 1.2]
    assert company["achievement_basis"] == pytest.approx(1.03)


def test_kpis_without_value_say_why_and_an_entity_with_none_gets_no_score() -> None:
    not_provided = "source not provided: ad_spend"
    scored = score(
        [
            kpis(
                ("channel", "email", "revenue", 120.0),
                ("channel", "email", "roas", None, not_provided),
                ("channel", "video", "revenue", None, "source not provided: orders"),
                ("channel", "video", "roas", None, not_provided),
            )
        ],
        targets(
            ("channel", "email", "revenue", 100.0),
            ("channel", "email", "roas", 4.0),
            ("channel", "video", "revenue", 100.0),
            ("channel", "video", "roas", 4.0),
        ),
        pd.DataFrame(
            {
                "entity_type": "channel",
                "entity_id": ["email", "video"],
                "parent_entity_id": "company",
                "stage": None,
            }
        ),
        version(channel=[scored_kpi("revenue", 70), scored_kpi("roas", 30)]),
    )
    email = scored.kpi_scores[scored.kpi_scores["entity_id"] == "email"].set_index("kpi")
    # roas cannot be scored: revenue takes the whole weight, 100 x min(1.2, 1.2) = 120
    assert email["status"].to_dict() == {"revenue": "scored", "roas": f"no value: {not_provided}"}
    assert email["effective_weight"].to_dict() == {"revenue": 100, "roas": 0}
    assert entity_row(scored, "email")["total_score"] == 120
    # video has no KPI with a value: no total and no grade, rather than 0 and C
    video = entity_row(scored, "video")
    assert pd.isna(video["total_score"]) and video["grade"] is None
