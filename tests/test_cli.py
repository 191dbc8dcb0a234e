"""The command line: exit codes scripts can trust and messages people can act on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.exit_codes import ExitCode
from pipelines.settings import get_settings
from pipelines.warehouse import connect
from pipelines.warehouse.schema import ensure_layout


def test_generate_writes_every_table(isolated_env: Path, capsys):
    code = main(["generate", "--from", "2025-01", "--to", "2025-02", "--scale", "0.1"])
    assert code == ExitCode.PUBLISHED
    assert (isolated_env / "landing" / "orders" / "2025-02.csv").exists()
    assert "Generated 2 months" in capsys.readouterr().out


def test_generate_writes_the_tables_of_a_profile(isolated_env: Path, capsys):
    argv = ["generate", "--from", "2025-01", "--to", "2025-01", "--scale", "0.1"]
    assert main([*argv, "--profile", "b2b-crm"]) == ExitCode.PUBLISHED
    written = {path.name for path in (isolated_env / "landing").iterdir()}
    assert written == {"leads", "reps", "teams", "targets", "manual_kpis"}
    assert "of profile b2b-crm" in capsys.readouterr().out


def test_a_bad_scorecard_is_exit_2_before_anything_runs(isolated_env: Path, monkeypatch, capsys):
    scorecard = isolated_env / "scorecard.yaml"
    scorecard.write_text("versions: []\n")
    monkeypatch.setenv("SCORECARD_CONFIG", str(scorecard))
    assert main(["run", "--period", "2025-01"]) == ExitCode.BAD_INPUT
    assert str(scorecard) in capsys.readouterr().out
    assert not (isolated_env / "dagster_home" / "logs").exists()


def test_a_malformed_period_is_exit_2(isolated_env: Path, capsys):
    assert main(["run", "--period", "2025-13"]) == ExitCode.BAD_INPUT
    assert "'2025-13' is not a month: expected YYYY-MM" in capsys.readouterr().out


def test_show_on_a_fresh_warehouse_says_nothing_is_published(isolated_env: Path, capsys):
    assert main(["show", "--period", "2025-01"]) == ExitCode.BAD_INPUT
    assert capsys.readouterr().out.strip() == (
        "error: no published scorecard for 2025-01 (nothing is published yet)"
    )


@pytest.mark.parametrize("argv", [["run"], ["backfill", "--from", "2025-01"]])
def test_missing_arguments_are_usage_errors(argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


# Each read command and --help, with its exit code on a warehouse nothing was published to.
READ_COMMANDS = {
    "--help": 0,
    "show --period 2025-01": ExitCode.BAD_INPUT,  # nothing published
    "show --period 2025-01 --entity rep_01": ExitCode.BAD_INPUT,
    "snapshots": 0,
    "checks --period 2025-01": ExitCode.BAD_INPUT,  # no run covered it
    "quarantine --period 2025-01": ExitCode.BAD_INPUT,  # nothing landed
    "diff snapshot_a snapshot_b": ExitCode.BAD_INPUT,  # no such snapshots
    "report --period 2025-01": ExitCode.BAD_INPUT,  # nothing published
    **{
        f"{command} --help": 0
        for command in ("show", "diff", "snapshots", "checks", "quarantine", "report")
    },
}
# The frameworks, and pandas: importing it alone takes half of the second a read may take.
HEAVY_MODULES = ["dagster", "dbt", "great_expectations", "pandas"]
RUN_EACH = """
import json, sys
from pipelines.cli import main

report = {}
for command in json.loads(sys.argv[1]):
    try:
        code = main(command.split())
    except SystemExit as exit:  # --help
        code = exit.code
    imported = {name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[2]))
    report[command] = [code, sorted(imported)]
print(json.dumps(report))
"""


def test_read_commands_and_help_import_no_framework_nor_pandas(isolated_env: Path):
    """In one fresh process, one command after the other (what a command imports stays in
    sys.modules, so the first command listing a module is the one that imported it), on a
    warehouse with the pipeline's layout: creating it, once, may import pandas."""
    with connect(get_settings()) as warehouse:
        ensure_layout(warehouse)
    argv = [sys.executable, "-c", RUN_EACH, json.dumps(list(READ_COMMANDS))]
    done = subprocess.run([*argv, json.dumps(HEAVY_MODULES)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report == {command: [code, []] for command, code in READ_COMMANDS.items()}
