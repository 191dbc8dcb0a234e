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
