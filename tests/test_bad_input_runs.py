"""Bad input through a real run: a malformed file fails with exit 2 naming it, a few violating rows
are quarantined while the period publishes, too many block publication (exit 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.exit_codes import ExitCode
from tests.pipeline_runs import FIRST, SECOND, generate_small, query, run, scalar

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad_input_data")
    generate_small(folder / "landing", last=SECOND)
    return folder / "landing"


@pytest.fixture
def env(isolated_env: Path, landing: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCORECARD_LANDING", str(landing))
    return landing


def rewrite(path: Path, transform) -> str:
    original = path.read_text()
    path.write_text(transform(original))
    return original


def a_ragged_third_line(text: str) -> str:
    header, first, second, *rest = text.splitlines()
    return "\n".join([header, first, second + ",extra", *rest]) + "\n"


MALFORMED = {
    "renamed_column": (
        lambda text: text.replace("discount_amount", "discount", 1),
        "column 'discount_amount' is missing",
    ),
    "ragged_row": (
        a_ragged_third_line,
        "cannot be read as CSV for table 'orders': line 3: 8 fields, more than the 7",
    ),
}


@pytest.mark.parametrize(("transform", "problem"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_file_fails_with_exit_2_naming_the_file_and_publishes_nothing(
    env: Path, transform, problem: str
):
    orders = env / "orders" / "2025-02.csv"
    original = rewrite(orders, transform)
    try:
        outcome = run(SECOND, SECOND)
    finally:
        orders.write_text(original)
    assert outcome.exit_code is ExitCode.BAD_INPUT
    assert any(f"{orders}: {problem}" in p for p in outcome.problems), outcome.problems
    assert scalar("select count(*) from scorecard.snapshots") == 0
    assert scalar("select count(*) from raw.orders where _period = '2025-02-01'") == 0


def test_a_violating_row_is_quarantined_and_the_period_still_publishes(env: Path, capsys):
    spend = env / "ad_spend" / "2025-01.csv"

    def negative_spend(text: str) -> str:
        header, first, *rest = text.splitlines()
        fields = first.split(",")
        fields[6] = "-12.50"
        return "\n".join([header, ",".join(fields), *rest]) + "\n"

    original = rewrite(spend, negative_spend)
    rows = len(original.splitlines()) - 1
    try:
        outcome = run(FIRST, FIRST)
    finally:
        spend.write_text(original)
    assert outcome.exit_code is ExitCode.PUBLISHED, outcome.problems
    quarantined = query("select table_name, source_row, reason from quality.quarantine")
    assert quarantined.to_dict("records") == [
        {
            "table_name": "ad_spend",
            "source_row": 1,
            "reason": "spend: expected a value >= 0, got '-12.50'",
        }
    ]
    assert scalar("select count(*) from raw.ad_spend") == rows - 1
    assert scalar("select count(*) from scorecard.snapshots") == 1
    capsys.readouterr()
    assert main(["quarantine", "--period", "2025-01", "--table", "ad_spend"]) == ExitCode.PUBLISHED
    listed = capsys.readouterr().out
    assert "1 quarantined rows" in listed and "-12.50" in listed
    assert main(["quarantine", "--period", "2025-01", "--table", "nosuch"]) == ExitCode.BAD_INPUT
    assert "'nosuch' is not a table of the input contract" in capsys.readouterr().out
    assert main(["checks", "--period", "2025-01", "--failed"]) == ExitCode.PUBLISHED
    assert f"run {outcome.run_id}" in capsys.readouterr().out


def test_too_many_quarantined_rows_block_publication_and_keep_the_current_snapshot(
    env: Path, capsys
):
    assert run(FIRST, FIRST).exit_code is ExitCode.PUBLISHED
    current = scalar("select snapshot_id from scorecard.current_snapshots")
    touchpoints = env / "touchpoints" / "2025-01.csv"
    original = rewrite(touchpoints, lambda text: text.replace(",paid_search,", ",carrier_pigeon,"))
    capsys.readouterr()
    try:
        exit_code = main(["run", "--period", "2025-01"])
    finally:
        touchpoints.write_text(original)
    assert exit_code == ExitCode.CHECK_FAILED
    rows = original.splitlines()[1:]
    bad = sum(",paid_search," in row for row in rows)
    printed = capsys.readouterr().out
    assert (
        f"2025-01 was not published: raw.touchpoints quarantine_share failed: {bad} of "
        f"{len(rows)} rows were quarantined ({bad / len(rows):.1%}), more than the allowed 1.00%."
    ) in printed
    assert scalar("select count(*) from scorecard.snapshots") == 1
    assert scalar("select snapshot_id from scorecard.current_snapshots") == current
    failed = query("select check_name, details from quality.check_results where not passed")
    assert "quarantine_share" in set(failed["check_name"])
    details = json.loads(failed.set_index("check_name").loc["quarantine_share", "details"])
    assert len(details["sample"]) == 5
    assert details["sample"][0]["reason"].startswith(
        "channel: unmapped channel label 'carrier_pigeon'"
    )
    assert details["by_month"] == {"2025-01": {"read": len(rows), "quarantined": bad}}
    capsys.readouterr()
    assert main(["checks", "--period", "2025-01", "--failed"]) == ExitCode.CHECK_FAILED
    report = capsys.readouterr().out
    assert "quarantine_share" in report and "FAILED" in report
