"""Periods open and close through Dagster: the daily schedule's run publishes the open month as
provisional, the monthly close publishes the previous month as final, a later backfill of both
adds a new final snapshot that the current views follow; the views prefer final to provisional."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from assets.definitions import defs
from assets.runner import dagster_instance
from assets.schedules import build_close_schedule
from pipelines.cli import main
from pipelines.config import ConfigError, PipelineConfig, load_yaml_model
from pipelines.demo.generator import generate
from pipelines.exit_codes import ExitCode
from pipelines.periods import add_months, month_label
from pipelines.settings import get_settings
from pipelines.warehouse import connect
from pipelines.warehouse.schema import ensure_layout
from tests.orchestration import execute_request, schedule_context
from tests.pipeline_runs import query

pytestmark = pytest.mark.integration


def tick(schedule_name: str, at: datetime):
    """One evaluation of the Definitions' schedule at `at`, on the test's Dagster instance."""
    schedule = defs.resolve_schedule_def(schedule_name)
    [request] = schedule.evaluate_tick(schedule_context(at, dagster_instance())).run_requests
    return request


def test_open_month_is_provisional_closed_month_final_and_a_rerun_adds_a_final(
    isolated_env: Path, capsys
):
    now = datetime.now(UTC)
    open_month = now.date().replace(day=1)
    closed_month = add_months(open_month, -1)
    generate(isolated_env / "landing", closed_month, open_month, seed=11, scale=0.3, as_of=now)
    instance = dagster_instance()
    close_day = defs.resolve_schedule_def("monthly_close_period").cron_schedule.split()[2]

    close = tick("monthly_close_period", now.replace(day=int(close_day), hour=7, minute=0))
    assert close.partition_key == closed_month.isoformat()
    assert execute_request(close, instance).success
    daily = tick("daily_open_period", now.replace(hour=6, minute=0))
    assert daily.partition_key == open_month.isoformat()
    assert execute_request(daily, instance).success

    first = query("select period, status, snapshot_id from scorecard.snapshots order by period")
    assert list(first["status"]) == ["final", "provisional"]

    # The open month's forecast is published with its provisional snapshot only: one month of
    # history is too little for an interval, so revenue is extended pro rata by days.
    forecasts = query("select * from scorecard.kpi_forecasts")
    assert set(forecasts["snapshot_id"]) == {first["snapshot_id"].iloc[1]}
    revenue = forecasts.set_index("kpi").loc["revenue"]
    assert (
        revenue["as_of_date"].date() <= now.date()
        and revenue["as_of_date"].day == (revenue["days_elapsed"])
    )
    assert revenue["forecast_value"] == pytest.approx(
        revenue["value_to_date"] * revenue["days_in_period"] / revenue["days_elapsed"]
    )
    assert revenue["method"] == "pro rata by days" and pd.isna(revenue["lower"])
    untracked = forecasts.set_index("kpi").loc["gross_margin_pct"]
    assert pd.isna(untracked["forecast_value"])
    assert untracked["reason"].startswith("not tracked by day: ")
    capsys.readouterr()
    assert main(["show", "--period", month_label(open_month)]) == ExitCode.PUBLISHED
    shown = capsys.readouterr().out
    assert "forecast for the month's end, as of" in shown and "pro rata by days" in shown
    assert main(["report", "--period", month_label(open_month)]) == ExitCode.PUBLISHED
    report = (get_settings().reports_path / f"scorecard-{month_label(open_month)}.html").read_text()
    assert '<section id="forecast">' in report and "pro rata by days" in report
    assert "gross_margin_pct (not tracked by day: " in report

    # Late data for the closed month: a backfill of both months re-runs them in one run.
    capsys.readouterr()
    code = main(["backfill", "--from", month_label(closed_month), "--to", month_label(open_month)])
    printed = capsys.readouterr().out
    assert code == ExitCode.PUBLISHED
    # Not a terminal: a line per finished step with the elapsed time, as a scheduled run logs.
    steps = re.findall(r"\[\s*(\d+\.\d)s\] step \d+/\d+ done: (\w+)", printed)
    names, elapsed = [name for _, name in steps], [float(seconds) for seconds, _ in steps]
    assert names[0] == "raw_tables" and "dbt_period_models" in names
    assert elapsed == sorted(elapsed)
    snapshots = query(
        "select period, status, snapshot_id, run_id from scorecard.snapshots order by scored_at"
    )
    assert len(snapshots) == 4
    rerun = snapshots.iloc[2:]
    assert rerun["run_id"].nunique() == 1, "the backfill is one run"
    assert list(rerun["status"]) == ["final", "provisional"]
    for row in rerun.itertuples():
        assert row.snapshot_id in printed.replace("\n", "").replace(" ", "").replace("│", "")
        assert row.status in printed

    current = query("select period, snapshot_id, status from scorecard.current_snapshots")
    newest = dict(zip(current["period"].dt.date, current["snapshot_id"], strict=True))
    assert newest == {
        closed_month: rerun.iloc[0]["snapshot_id"],
        open_month: rerun.iloc[1]["snapshot_id"],
    }
    assert query(
        "select distinct snapshot_id from scorecard.current_entity_scores where period = ?",
        [closed_month],
    )["snapshot_id"].tolist() == [rerun.iloc[0]["snapshot_id"]]


def test_current_views_prefer_the_newest_final_and_fall_back_to_provisional(isolated_env: Path):
    """A provisional snapshot scored after a final one (a run of a month while it was still open,
    recorded late) never replaces the final; a month with only provisional ones shows the newest."""
    rows = [
        ("2025-01", "final", "2025-02-02 07:00:00", "jan-final-old"),
        ("2025-01", "final", "2025-03-01 07:00:00", "jan-final-new"),
        ("2025-01", "provisional", "2025-04-01 06:00:00", "jan-provisional-late"),
        ("2025-02", "provisional", "2025-02-10 06:00:00", "feb-provisional-old"),
        ("2025-02", "provisional", "2025-02-11 06:00:00", "feb-provisional-new"),
    ]
    with connect(get_settings()) as warehouse:
        ensure_layout(warehouse)
        for period, status, scored_at, snapshot_id in rows:
            warehouse.execute(
                "insert into scorecard.snapshots (snapshot_id, period, status, scored_at, run_id, "
                "scorecard_version, scorecard_hash, code_version, checks_passed, checks_summary) "
                "values (?, ?, ?, ?, 'run', '2025.1', 'hash', 'code', true, '{}')",
                [snapshot_id, date.fromisoformat(f"{period}-01"), status, scored_at],
            )
    current = query("select snapshot_id from scorecard.current_snapshots order by period")
    assert current["snapshot_id"].tolist() == ["jan-final-new", "feb-provisional-new"]


def test_the_close_day_is_configuration(tmp_path: Path):
    assert build_close_schedule(5).cron_schedule == "0 7 5 * *"
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        "first_period: '2024-01'\nchannels: {direct: {paid: false}}\nschedules: {close_day: 31}\n"
    )
    with pytest.raises(ConfigError, match="schedules.close_day"):
        load_yaml_model(PipelineConfig, config)
    context = schedule_context(datetime(2025, 3, 5, 7, tzinfo=UTC))
    [request] = build_close_schedule(5).evaluate_tick(context).run_requests
    assert request.partition_key == "2025-02-01"
