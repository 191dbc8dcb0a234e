"""The command line: exit codes scripts can trust and messages people can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.runner import ExitCode


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
    assert main(["show", "--period", "2025-01"]) == ExitCode.PUBLISHED
    assert "No published scorecard for 2025-01" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["run"], ["backfill", "--from", "2025-01"]])
def test_missing_arguments_are_usage_errors(argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
