"""What the read commands print: names from the data are literal text, missing values a dash."""

from __future__ import annotations

from collections import namedtuple
from datetime import date

from pipelines import display

Quarantined = namedtuple(
    "Quarantined", "table_name source source_row reason original_row batch_id period"
)
Scored = namedtuple(
    "Scored",
    "entity_id parent_entity_id peer_group total_score grade grade_label rank percentile "
    "bonus_multiplier rolled_up_score",
)


def test_markup_in_names_is_printed_as_written(capsys):
    rows = [Scored("[red]rep[/red] [bold]", "[team]", None, 81.5, "B", None, 1, 50.0, 1.0, None)]
    display.print_entity_scores("2025-01 · [b]rep[/b]", rows)
    out = capsys.readouterr().out
    assert "[red]rep[/red] [bold]" in out and "[team]" in out and "[b]rep[/b]" in out


def test_a_quarantined_row_without_source_or_values_prints_no_none(capsys):
    rows = [Quarantined("orders", None, 3, "status: [x]", None, None, date(2025, 1, 1))]
    display.print_quarantine("2025-01", rows)
    out = capsys.readouterr().out
    assert "None" not in out and "status: [x]" in out


def scored(entity_id: str, total: float | None) -> Scored:
    return Scored(entity_id, "team", "ae", total, "B", "meets", 1, 50.0, 1.0, None)


def test_best_and_worst_keep_the_ends_of_the_ranking_and_unscored_last():
    rows = [scored(f"r{i}", float(i)) for i in range(10)] + [scored("unscored", None)]
    picked = [row.entity_id for row in display.best_and_worst(rows, 2)]
    assert picked == ["r9", "r8", "r0", "unscored"]
    assert display.best_and_worst(rows[:4], 2) == rows[:4]  # no fewer than 2 x 2: all of them


def test_the_headline_names_score_grade_bonus_and_changes(capsys):
    company = scored("company", 72.44)
    before = {
        "last month (2025-02)": scored("company", 70.0),
        "last year (2024-03)": scored("c", None),
    }
    display.print_headline("2025-03", company, before)
    out = capsys.readouterr().out
    assert "2025-03 · company score 72.4 · grade B (meets) · bonus x1.00" in out
    assert "vs last month (2025-02): +2.4" in out and "vs last year (2024-03): -" in out
    assert "None" not in out and "nan" not in out


def test_long_check_details_are_summarised_and_names_kept_whole():
    long = "first line " + "x" * 200 + "\nsecond line"
    assert (
        display.summary(long, 20) == f"first line xxxxxxxxx… ({len(long) - 20:,} more characters)"
    )
    assert display.summary("short") == "short"
    assert display.summary(None) is None
