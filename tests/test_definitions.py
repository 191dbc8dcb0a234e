"""The code location loads: every asset, check, job and schedule is where engineers expect it."""

from __future__ import annotations

from dagster import AssetKey

from assets.definitions import defs
from pipelines.extract.contract import load_contract


def test_definitions_load_with_the_whole_graph():
    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    for table in load_contract().tables:
        assert AssetKey(["raw", table]) in keys
    for mart in ("fct_attribution", "fct_channel_performance", "fct_kpi", "dim_period"):
        assert AssetKey(["marts", mart]) in keys
    assert AssetKey(["scorecard", "snapshot"]) in keys
    checks = {(c.asset_key, c.name) for c in graph.asset_check_keys}
    assert (AssetKey(["raw", "orders"]), "contract_suite") in checks
    assert (AssetKey(["raw", "orders"]), "quarantine_share") in checks
    assert any(key.path[0] == "marts" for key, _ in checks), "dbt tests appear as asset checks"


def test_job_and_schedules_exist():
    assert defs.resolve_job_def("scorecard_job").partitions_def is not None
    rescore = defs.resolve_job_def("rescore_job")
    assert rescore.partitions_def is not None
    assert [node.name for node in rescore.graph.node_defs] == ["scorecard__snapshot"]
    names = {s.name for s in defs.schedules}
    assert names == {"daily_open_period", "monthly_close_period", "poll_sources"}


def test_schedules_pick_the_open_month_daily_and_the_closed_month_monthly():
    from datetime import datetime

    from dagster import build_schedule_context

    from assets.schedules import daily_open_period, monthly_close_period

    context = build_schedule_context(scheduled_execution_time=datetime(2025, 3, 2, 7))
    assert daily_open_period(context).partition_key == "2025-03-01"
    assert monthly_close_period(context).partition_key == "2025-02-01"


def test_definitions_read_the_deployment_directory(tmp_path):
    """`SCORECARD_HOME=DIR dagster dev`: partitions and schedules come from the home's
    pipeline.yaml (in a fresh interpreter: the definitions are built on import)."""
    import os
    import subprocess
    import sys

    from pipelines.deployment import init_home

    init_home(tmp_path)
    pipeline = tmp_path / "pipeline.yaml"
    text = pipeline.read_text().replace('first_period: "2024-01"', 'first_period: "2021-05"')
    pipeline.write_text(text.replace("close_day: 2 ", "close_day: 5 "))
    probe = (
        "from assets.definitions import defs;"
        " from assets.partitions import monthly_partitions as p;"
        " s = {s.name: s for s in defs.schedules}['monthly_close_period'];"
        " print(p.start.date(), s.cron_schedule)"
    )
    env = {**os.environ, "SCORECARD_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.split()[0] == "2021-05-01" and "5 * *" in out
