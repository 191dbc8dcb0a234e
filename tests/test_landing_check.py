"""`scorecard validate`: a landing checked without a run reports every problem in one pass."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pipelines.config import load_pipeline_config
from pipelines.demo.generator import generate
from pipelines.exit_codes import ExitCode
from pipelines.extract.landing import LandingRules
from pipelines.quality.landing_check import Level, check_landing
from pipelines.quality.policy import load_quality_policy
from tests.pipeline_runs import AS_OF, FIRST, SECOND


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    generate(tmp_path / "landing", FIRST, SECOND, seed=11, scale=0.3, as_of=AS_OF)
    return tmp_path / "landing"


def check(landing: Path, months: tuple[date, date] | None = None):
    rules = LandingRules.configured(load_pipeline_config(), "USD")
    return check_landing(str(landing), load_quality_policy(), rules, months)


def edit(path: Path, change) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(change(lines)))


def test_a_clean_landing_passes_without_dbt_dagster_or_great_expectations(landing: Path):
    """In a fresh process: the command exits 0 and never imports the heavy frameworks."""
    script = (
        "import sys; from pipelines.cli import main; code = main(['validate', '--landing', "
        f"{str(landing)!r}]); "
        "print(sorted({'dagster', 'great_expectations', 'dbt'} & {m.split('.')[0] "
        "for m in sys.modules})); sys.exit(code)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == ExitCode.PUBLISHED, done.stdout + done.stderr
    assert "0 unreadable, 0 blocking" in done.stdout
    assert done.stdout.splitlines()[-1] == "[]"


def test_every_problem_of_a_broken_landing_is_reported_in_one_pass(landing: Path):
    # Quarantine over the 1% threshold: three orders of February in another currency.
    edit(
        landing / "orders" / "2025-02.csv",
        lambda lines: [
            lines[0],
            *(row.replace(",USD,", ",EUR,") for row in lines[1:4]),
            *lines[4:],
        ],
    )
    # A row rule of the suite: ad spend dated outside its file's month.
    edit(
        landing / "ad_spend" / "2025-01.csv",
        lambda lines: [*lines, "2025-02-03,email,cmp_new,New,10,1,5.00,USD\n"],
    )
    # An orphan: an order item of an order that was never landed.
    edit(
        landing / "order_items" / "2025-01.csv",
        lambda lines: [*lines, "ord_99999999,1,prd_001,1,10.00,5.00\n"],
    )
    # A file whose columns do not match the contract.
    edit(
        landing / "refunds" / "2025-02.csv",
        lambda lines: [line.rsplit(",", 1)[0] + "\n" for line in lines],
    )
    # A source not provided, and a month without a file of a table in use.
    shutil.rmtree(landing / "tickets")
    (landing / "teams" / "2025-02.csv").unlink()

    report = check(landing)

    found = {(f.table, f.month, f.check, f.column, f.level) for f in report.findings}
    assert found >= {
        ("orders", SECOND, "quarantine_share", None, Level.BLOCKING),
        ("ad_spend", FIRST, "contract_suite", "date", Level.BLOCKING),
        ("order_items", FIRST, "referential_integrity", "order_id", Level.BLOCKING),
        ("refunds", SECOND, "readable_file", None, Level.UNREADABLE),
        ("teams", SECOND, "row_count_trend", None, Level.WARNING),
    }
    assert report.not_provided == ["tickets"]
    assert report.exit_code is ExitCode.BAD_INPUT
    by_check = {(f.table, f.month, f.check): f for f in report.findings}
    unreadable = by_check["refunds", SECOND, "readable_file"]
    assert unreadable.file == "refunds/2025-02.csv"
    assert unreadable.rule.startswith("column 'amount' is missing")
    quarantine = by_check["orders", SECOND, "quarantine_share"]
    assert quarantine.count == 3 and quarantine.rows[0]["reason"].startswith("currency:")
    orphan = by_check["order_items", FIRST, "referential_integrity"]
    assert {"order_id": "ord_99999999", "line_no": 1} in orphan.rows
    text = "\n".join(report.lines())
    assert "Not provided" in text and "tickets" in text and "refunds/2025-02.csv" in text

    # Without the unreadable file, the same landing would block: exit 1.
    (landing / "refunds" / "2025-02.csv").unlink()
    assert check(landing).exit_code is ExitCode.CHECK_FAILED


def test_a_month_range_checks_only_its_files(landing: Path):
    report = check(landing, (SECOND, SECOND))
    assert report.exit_code is ExitCode.PUBLISHED
    assert report.files == len(list(landing.glob("*/2025-02.*")))


def test_a_broken_scorecard_in_the_deployment_is_exit_2_naming_the_file(
    landing: Path, isolated_env: Path, capsys
):
    from pipelines.cli import main

    home = isolated_env / "acme"
    assert main(["init", str(home)]) == ExitCode.PUBLISHED
    scorecard = home / "scorecard.yaml"
    scorecard.write_text(scorecard.read_text().replace("weight: 30", "weight: 31", 1))
    code = main(["--config-dir", str(home), "validate", "--landing", str(landing)])
    assert code == ExitCode.BAD_INPUT
    message = " ".join(capsys.readouterr().out.split())
    assert "scorecard.yaml" in message and "weights sum to 101" in message
