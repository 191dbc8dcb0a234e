"""The diff of two snapshots, on a hand-made pair."""

from __future__ import annotations

from collections import namedtuple

from pipelines.snapshot.diff import snapshot_diff

KpiRow = namedtuple(
    "KpiRow", ["entity_type", "entity_id", "kpi", "value", "target", "effective_weight", "score"]
)
EntityRow = namedtuple("EntityRow", ["entity_type", "entity_id", "total_score", "grade", "rank"])


def test_changed_values_scores_weights_and_grades_and_rows_in_one_snapshot_only() -> None:
    kpis_a = [
        KpiRow("rep", "r1", "revenue", 100.0, 100.0, 60.0, 100.0),
        KpiRow("rep", "r1", "leads", 10.0, 20.0, 40.0, 50.0),
        KpiRow("rep", "r1", "win_rate", 0.3, None, 0.0, float("nan")),
    ]
    kpis_b = [
        KpiRow("rep", "r1", "revenue", 100.0 + 1e-12, 100.0, 50.0, 100.0),  # weight 60 -> 50
        KpiRow("rep", "r1", "leads", 10.0, 20.0, 50.0, 50.0),  # weight 40 -> 50
        KpiRow("rep", "r1", "won_deal_value", 5.0, 5.0, 0.0, 100.0),  # new KPI
    ]
    entities_a = [EntityRow("rep", "r1", 80.0, "B", 2)]
    entities_b = [EntityRow("rep", "r1", 75.0, "C", 2)]
    diff = snapshot_diff(kpis_a, entities_a, kpis_b, entities_b)
    rows = [(change.kpi, change.field, change.before, change.after) for change in diff]
    # float noise on revenue's value is no change; win_rate left (to NULL), won_deal_value came;
    # a column neither snapshot has (weighted_score, rolled_up_score) is no change
    assert [r[:2] for r in rows] == [
        ("(total)", "total_score"),
        ("(total)", "grade"),
        ("leads", "effective_weight"),
        ("revenue", "effective_weight"),
        ("win_rate", "value"),
        ("win_rate", "effective_weight"),
        ("won_deal_value", "value"),
        ("won_deal_value", "target"),
        ("won_deal_value", "effective_weight"),
        ("won_deal_value", "score"),
    ]
    assert rows[1][2:] == ("B", "C")
    assert rows[3][2:] == (60.0, 50.0)
    assert rows[4][2:] == (0.3, None)
