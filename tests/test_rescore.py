"""Re-scoring history under a new scorecard version, through Dagster, on a real DuckDB warehouse.

One pipeline run (Feb..Mar 2025) for the module; the rescores only score the marts it built."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipelines.cli import main
from pipelines.config import PROJECT_ROOT
from pipelines.exit_codes import ExitCode
from pipelines.scoring.scorecard import load_scorecard, scorecard_hash
from tests.pipeline_runs import SECOND, THIRD, generate_small, query, run

pytestmark = pytest.mark.integration

NEW_REP_WEIGHTS = {"revenue": 50, "won_deal_value": 50}
SCORE_TABLES = ("kpi_scores", "entity_scores", "alerts")


def with_new_version(path: Path) -> Path:
    """The default scorecard's version 2025.1, plus version "test.2" from 2025-03 that scores
    reps on revenue and won deals alone."""
    versions = yaml.safe_load((PROJECT_ROOT / "config" / "scorecard.yaml").read_text())["versions"]
    first = next(version for version in versions if version["version"] == "2025.1")
    later = json.loads(json.dumps(first))
    later.update(version="test.2", effective_from="2025-03")
    rep_kpis = [k for k in later["entity_types"]["rep"]["kpis"] if k["kpi"] in NEW_REP_WEIGHTS]
    later["entity_types"]["rep"]["kpis"] = [
        {**k, "weight": NEW_REP_WEIGHTS[k["kpi"]]} for k in rep_kpis
    ]
    path.write_text(json.dumps({"versions": [first, later]}))
    return path


def snapshot_rows(snapshot_ids: list[str]) -> dict[str, pd.DataFrame]:
    marks = ", ".join("?" * len(snapshot_ids))
    return {
        table: query(
            f"select * from scorecard.{table} where snapshot_id in ({marks}) "
            "order by snapshot_id, entity_type, entity_id"
            + (", kpi" if table != "entity_scores" else ""),
            snapshot_ids,
        )
        for table in SCORE_TABLES
    }


@pytest.fixture(scope="module")
def rescored(tmp_path_factory) -> Iterator[dict]:
    """Run Feb..Mar 2025, add version test.2 effective from March, rescore Feb..Mar, then March
    again under the first version by name."""
    folder: Path = tmp_path_factory.mktemp("rescore")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SCORECARD_TARGET", "duckdb")
        env.setenv("SCORECARD_WAREHOUSE", str(folder / "warehouse.duckdb"))
        env.setenv("SCORECARD_LANDING", str(folder / "landing"))
        env.setenv("DAGSTER_HOME", str(folder / "dagster_home"))
        generate_small(folder / "landing")
        first = run(SECOND, THIRD)
        assert first.exit_code is ExitCode.PUBLISHED, first.problems
        old = query("select * from scorecard.snapshots order by period")
        old_rows = snapshot_rows(old["snapshot_id"].tolist())
        config = with_new_version(folder / "scorecard.yaml")
        env.setenv("SCORECARD_CONFIG", str(config))
        codes = [
            main(["rescore", "--from", "2025-02", "--to", "2025-03"]),
            main(["rescore", "--from", "2025-03", "--to", "2025-03", "--version", "2025.1"]),
        ]
        new = snapshots_after(old)
        yield {
            "first": first, "old": old, "old_rows": old_rows, "codes": codes, "new": new,
            "new_rows": snapshot_rows(new["snapshot_id"].tolist()), "config": config,
        }  # fmt: skip


def snapshots_after(old: pd.DataFrame) -> pd.DataFrame:
    every = query("select * from scorecard.snapshots order by scored_at, period")
    return every[~every["snapshot_id"].isin(old["snapshot_id"])].reset_index(drop=True)


def test_rescores_publish_new_snapshots_and_leave_the_old_ones_intact(rescored):
    assert rescored["codes"] == [ExitCode.PUBLISHED, ExitCode.PUBLISHED]
    old = rescored["old"]
    pd.testing.assert_frame_equal(
        query("select * from scorecard.snapshots where snapshot_id in (?, ?) order by period",
              old["snapshot_id"].tolist()),
        old,
    )  # fmt: skip
    after = snapshot_rows(old["snapshot_id"].tolist())
    for table in SCORE_TABLES:
        pd.testing.assert_frame_equal(after[table], rescored["old_rows"][table])
    assert len(rescored["old_rows"]["kpi_scores"]) > 0


def test_new_snapshots_carry_the_version_its_hash_and_the_gating_run(rescored):
    new = rescored["new"]
    versions = [(p.month, v) for p, v in zip(new["period"], new["scorecard_version"], strict=True)]
    assert versions == [(2, "2025.1"), (3, "test.2"), (3, "2025.1")]
    hashes = {v.version: scorecard_hash(v) for v in load_scorecard(rescored["config"]).versions}
    assert new["scorecard_hash"].tolist() == [hashes[v] for v in new["scorecard_version"]]
    assert new["checks_passed"].all()
    gating = {json.loads(summary)["rescore_of_run"] for summary in new["checks_summary"]}
    assert gating == {rescored["first"].run_id}
    assert new["run_id"].nunique() == 2 and rescored["first"].run_id not in set(new["run_id"])
    # the newest snapshot of March (under 2025.1 again) is the current one
    current = query("select snapshot_id from scorecard.current_snapshots where period = ?", [THIRD])
    assert current["snapshot_id"].tolist() == [new["snapshot_id"].iloc[-1]]


def test_the_new_version_scores_reps_on_its_weights(rescored):
    new, rows = rescored["new"], rescored["new_rows"]
    march = new.loc[new["scorecard_version"] == "test.2", "snapshot_id"].iloc[0]
    kpis = rows["kpi_scores"][rows["kpi_scores"]["snapshot_id"] == march]
    reps = kpis[kpis["entity_type"] == "rep"]
    assert set(reps["kpi"]) == set(NEW_REP_WEIGHTS)
    assert reps.groupby("kpi")["weight"].first().to_dict() == NEW_REP_WEIGHTS
    totals = rows["entity_scores"].query("snapshot_id == @march and entity_type == 'rep'")
    expected = reps.groupby("entity_id")["weighted_score"].sum(min_count=1)
    graded = totals.set_index("entity_id")["total_score"].dropna()
    assert len(graded) > 0
    assert graded.tolist() == pytest.approx(expected[graded.index].tolist())


def test_rescoring_under_the_same_version_reproduces_the_scores(rescored):
    new, old = rescored["new"], rescored["old"]
    columns = ["entity_type", "entity_id", "kpi", "value", "target", "score", "weighted_score"]

    def kpi_rows(rows: dict, snapshot_id: str) -> pd.DataFrame:
        kpis = rows["kpi_scores"]
        return kpis.loc[kpis["snapshot_id"] == snapshot_id, columns].reset_index(drop=True)

    for period in (SECOND, THIRD):
        old_id = old.loc[old["period"] == pd.Timestamp(period), "snapshot_id"].iloc[0]
        same = new[(new["period"] == pd.Timestamp(period)) & (new["scorecard_version"] == "2025.1")]
        new_id = same["snapshot_id"].iloc[-1]
        pd.testing.assert_frame_equal(
            kpi_rows(rescored["old_rows"], old_id), kpi_rows(rescored["new_rows"], new_id)
        )


def test_a_period_without_a_passed_run_cannot_be_rescored(rescored, capsys):
    assert main(["rescore", "--from", "2025-01", "--to", "2025-02"]) == ExitCode.CHECK_FAILED
    out = capsys.readouterr().out
    assert "2025-01: no run has built this period; run it first" in out
    assert "2025-02" not in out.split("2025-01:")[1].split("\n")[0]


def test_an_unknown_version_is_exit_2(rescored, capsys):
    code = main(["rescore", "--from", "2025-03", "--to", "2025-03", "--version", "9.9"])
    assert code == ExitCode.BAD_INPUT
    assert "no scorecard version '9.9' (versions: 2025.1, test.2)" in capsys.readouterr().out


def test_alerts_and_rolled_up_scores_are_published(rescored):
    old_march = rescored["old"]["snapshot_id"].iloc[-1]
    alerts = query("select * from scorecard.alerts where snapshot_id = ?", [old_march])
    flagged = query(
        "select entity_type, entity_id, kpi, value, alert_change from scorecard.kpi_scores "
        "where snapshot_id = ? and alert order by entity_type, entity_id, kpi",
        [old_march],
    )
    assert len(alerts) == len(flagged) > 0
    ordered = alerts.sort_values(["entity_type", "entity_id", "kpi"]).reset_index(drop=True)
    assert ordered["change"].tolist() == pytest.approx(flagged["alert_change"].tolist())
    assert set(ordered["direction"]) <= {"up", "down"} and (ordered["threshold"] == 0.15).all()
    assert (ordered["direction"] == "up").tolist() == (ordered["change"] > 0).tolist()
    entities = query(
        "select entity_type, entity_id, parent_entity_id, rolled_up_score "
        "from scorecard.entity_scores where snapshot_id = ?",
        [old_march],
    )
    top_teams = entities.query("entity_type == 'team' and parent_entity_id == 'company'")
    company = entities.query("entity_type == 'company'")["rolled_up_score"].iloc[0]
    # equal weights (version 2025.1): the company is the mean of its top-level teams' roll-ups
    assert company == pytest.approx(top_teams["rolled_up_score"].dropna().mean())
    assert entities.query("entity_type == 'channel'")["rolled_up_score"].isna().all()


def test_show_snapshots_and_diff_commands(rescored, capsys):
    new = rescored["new"]
    old_march = rescored["old"]["snapshot_id"].iloc[-1]
    test_march = new.loc[new["scorecard_version"] == "test.2", "snapshot_id"].iloc[0]
    assert main(["diff", old_march, test_march]) == ExitCode.PUBLISHED
    out = capsys.readouterr().out
    assert f"{old_march} (2025.1) -> {test_march} (test.2)" in out
    assert "effective_weight" in out and "total_score" in out
    assert main(["diff", old_march, rescored["old"]["snapshot_id"].iloc[0]]) == ExitCode.BAD_INPUT
    assert "different periods" in capsys.readouterr().out
    assert main(["snapshots", "--period", "2025-03"]) == ExitCode.PUBLISHED
    listed = capsys.readouterr().out
    assert "test.2" in listed
    assert test_march in listed and old_march in listed  # ids whole, never cut
    assert main(["show", "--period", "2025-03", "--entity-type", "company"]) == ExitCode.PUBLISHED
    out = capsys.readouterr().out
    assert "2025-03 · company · KPIs" in out and "rolled up" in out
    assert main(["show", "--period", "2025-Q1", "--entity", "company"]) == ExitCode.PUBLISHED
    out = capsys.readouterr().out
    assert "2025-Q1 · company · 2 of 3 months built" in out
    assert main(["show", "--period", "2025-Q1", "--entity", "nobody"]) == ExitCode.BAD_INPUT
    assert "no entity 'nobody'" in capsys.readouterr().out
    # the quarter's revenue is February's plus March's (marts.fct_kpi_rollups)
    revenue = query(
        "select sum(value) from scorecard.current_kpi_scores "
        "where entity_id = 'company' and kpi = 'revenue'"
    ).iat[0, 0]
    assert f"{revenue:,.2f}" in out


def test_show_is_compact_by_default_and_whole_with_all(rescored, capsys):
    capsys.readouterr()
    reps = query(
        "select count(*) from scorecard.current_entity_scores "
        "where period = '2025-03-01' and entity_type = 'rep'"
    ).iat[0, 0]
    assert reps >= 3
    assert main(["show", "--period", "2025-03", "--top", "1"]) == ExitCode.PUBLISHED
    compact = capsys.readouterr().out
    assert "2025-03 · company score " in compact and "vs last month (2025-02): " in compact
    assert f"2025-03 · rep · best and worst 1 of {reps}" in compact
    assert f"{reps - 2} more reps: --all lists them all" in compact
    assert "· KPIs" not in compact  # no breakdown of many entities by default
    assert main(["show", "--period", "2025-03", "--all"]) == ExitCode.PUBLISHED
    whole = capsys.readouterr().out
    assert "best and worst" not in whole and "2025-03 · every entity · KPIs" in whole
    for text in (compact, whole):
        found = re.search(r"<NA>|\bNone\b|\bnan\b|…", text)
        assert found is None, text[found.start() - 400 : found.end() + 40]


def test_show_version_reads_that_versions_snapshot_not_the_current_one(rescored, capsys):
    new = rescored["new"]
    test_march = new.loc[new["scorecard_version"] == "test.2", "snapshot_id"].iloc[0]
    company = query(
        "select total_score from scorecard.entity_scores "
        "where snapshot_id = ? and entity_type = 'company'",
        [test_march],
    ).iat[0, 0]
    capsys.readouterr()
    args = ["show", "--period", "2025-03", "--entity-type", "company", "--version", "test.2"]
    assert main(args) == ExitCode.PUBLISHED
    out = capsys.readouterr().out
    assert "2025-03 · version test.2 · company" in out and f"{company:,.1f}" in out
    assert main(["snapshots", "--version", "test.2"]) == ExitCode.PUBLISHED
    listed = capsys.readouterr().out
    assert "test.2" in listed and "2025.1" not in listed


# A read command asked for what the warehouse never held: exit 2, one line naming it.
NEVER_HELD = {
    "show --period 2025-03 --version 9.9": "no snapshot of 2025-03 scored under version '9.9' "
    "(versions scored: 2025.1, test.2)",
    "show --period 2025-01": "no published scorecard for 2025-01 (published: 2025-02 to 2025-03)",
    "show --period 2024": "no published scorecard for 2024 (published: 2025-02 to 2025-03)",
    "show --period 2025-Q1 --version 2025.1": "--version shows one month's snapshot",
    "show --period 2025-03 --entity nobody": "no entity 'nobody' in any published scorecard",
    "snapshots --version 9.9": "no snapshot scored under version '9.9' "
    "(versions scored: 2025.1, test.2)",
    "snapshots --period 2025-01": "no snapshot of 2025-01 (published: 2025-02 to 2025-03)",
    "snapshots --period 2025-03 --version 9.9": "no snapshot scored under version '9.9'",
    "diff nosuch_a nosuch_b": "no such snapshot: nosuch_a, nosuch_b",
    "checks --period 2025-01": "no checks recorded for 2025-01: no run has covered it",
    "quarantine --period 2024-12": "nothing was landed for 2024-12: no quarantine to list",
    "quarantine --period 2025-03 --table nosuch": "'nosuch' is not a table of the input contract",
}


@pytest.mark.parametrize(("command", "message"), NEVER_HELD.items(), ids=NEVER_HELD.keys())
def test_a_read_command_asked_for_what_was_never_published_exits_2(
    rescored, capsys, command: str, message: str
):
    capsys.readouterr()
    assert main(command.split()) == ExitCode.BAD_INPUT
    out = capsys.readouterr().out.strip()
    assert message in out and "\n" not in out, out
