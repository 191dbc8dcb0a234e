"""`scorecard demo`, README's first command, end to end on a small scale: it generates, runs the
18 months, shows the last one and writes its report (its path printed)."""

from __future__ import annotations

import pytest

from pipelines.cli import last_closed_month, main
from pipelines.exit_codes import ExitCode
from pipelines.periods import month_label

pytestmark = pytest.mark.integration


def test_the_demo_runs_shows_and_reports_the_last_closed_month(isolated_env, capsys):
    assert main(["demo", "--scale", "0.05"]) == ExitCode.PUBLISHED
    out = capsys.readouterr().out
    last = month_label(last_closed_month())
    assert f"{last} · company score " in out
    report = isolated_env / "reports" / f"scorecard-{last}.html"
    assert report.exists() and f"Wrote {report}" in out.replace("\n", "")
