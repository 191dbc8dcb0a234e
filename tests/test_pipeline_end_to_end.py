"""End to end through Dagster on a real warehouse: two partitions in one run, then one again.

Runs once per target (DuckDB file, local PostgreSQL) and checks the layers, the attribution
invariant, the snapshots and idempotency."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from pipelines.attribution.weights import learn_channel_weights
from pipelines.config import ATTRIBUTION_MODELS, load_pipeline_config
from pipelines.exit_codes import ExitCode
from pipelines.extract.contract import load_contract
from tests.pipeline_runs import SECOND, THIRD, generate_small, query, run, scalar

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def pipeline(request, tmp_path_factory) -> Iterator[dict]:
    """Generate demo data, run Feb..Mar 2025 in one run, snapshot the facts, re-run March."""
    folder: Path = tmp_path_factory.mktemp(f"e2e_{request.param}")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SCORECARD_TARGET", request.param)
        env.setenv("SCORECARD_WAREHOUSE", str(folder / "warehouse.duckdb"))
        env.setenv("SCORECARD_LANDING", str(folder / "landing"))
        env.setenv("DAGSTER_HOME", str(folder / "dagster_home"))
        if request.param == "postgres":
            env.setenv("SCORECARD_PG_URL", request.getfixturevalue("postgres_url"))
        generate_small(folder / "landing")
        first = run(SECOND, THIRD)
        facts_before = march_facts()
        second = run(THIRD, THIRD)
        yield {"first": first, "second": second, "facts_before": facts_before}


def march_facts() -> dict[str, pd.DataFrame]:
    return {
        "fct_kpi": query(
            "select entity_type, entity_id, kpi, value, numerator, denominator from marts.fct_kpi "
            "where period = ? order by entity_type, entity_id, kpi",
            [THIRD],
        ),
        "fct_attribution": query(
            "select conversion_id, model, touchpoint_id, credit, credited_revenue "
            "from marts.fct_attribution where period = ? "
            "order by conversion_id, model, touch_position",
            [THIRD],
        ),
    }


def test_both_runs_publish(pipeline):
    assert pipeline["first"].exit_code is ExitCode.PUBLISHED, pipeline["first"].problems
    assert pipeline["second"].exit_code is ExitCode.PUBLISHED, pipeline["second"].problems


def test_every_layer_is_populated_for_both_periods(pipeline):
    for table in ("orders", "touchpoints", "leads", "ad_spend", "customers", "reps", "teams"):
        periods = query(f"select distinct _period from raw.{table} where _period >= ?", [SECOND])
        assert len(periods) == 2, table
    assert scalar("select count(*) from staging.stg_commerce__orders") > 0
    for mart in ("fct_attribution", "fct_channel_performance", "fct_kpi"):
        periods = query(f"select distinct period from marts.{mart} order by period")["period"]
        assert [pd.Timestamp(p).date() for p in periods] == [SECOND, THIRD], mart
    entity_types = set(query("select distinct entity_type from marts.fct_kpi")["entity_type"])
    assert entity_types == {"company", "team", "rep", "channel", "campaign"}
    assert scalar("select count(*) from quality.check_results") > 0


def test_attribution_credit_sums_to_one_per_conversion_and_model(pipeline):
    worst = scalar(
        "select max(abs(total - 1)) from (select conversion_id, model, sum(credit) as total "
        "from marts.fct_attribution group by conversion_id, model) as sums"
    )
    assert worst < 1e-9
    models = set(query("select distinct model from marts.fct_attribution")["model"])
    assert {"first_touch", "last_touch", "linear", "time_decay", "position_based"} <= models


def test_raw_keeps_every_batch_and_staging_deduplicates(pipeline):
    batches = scalar("select count(distinct _batch_id) from raw.orders where _period = ?", [THIRD])
    assert batches == 2
    duplicates = scalar(
        "select count(*) from (select order_id from staging.stg_commerce__orders "
        "group by order_id having count(*) > 1) as dup"
    )
    assert duplicates == 0
    # Every batch a run landed and checked is known to hold each key once: staging groups none
    # of them by key again (macros/deduplicate.sql).
    unknown = query(
        "select table_name, period from quality.landed_batches "
        "where keys_unique is not true and rows_landed > 0"
    )
    assert unknown.empty, unknown


def test_rerun_gives_identical_facts_and_one_more_snapshot(pipeline):
    after = march_facts()
    for name, before in pipeline["facts_before"].items():
        pd.testing.assert_frame_equal(before, after[name], check_exact=False, rtol=1e-12)
    snapshots = query(
        "select snapshot_id, period, status from scorecard.snapshots order by scored_at"
    )
    assert len(snapshots) == 3
    march = snapshots[snapshots["period"].map(lambda p: pd.Timestamp(p).date()) == THIRD]
    assert len(march) == 2
    current = query("select snapshot_id from scorecard.current_snapshots where period = ?", [THIRD])
    assert current["snapshot_id"].tolist() == [march["snapshot_id"].iloc[-1]]
    scores = query(
        "select snapshot_id, entity_type, entity_id, kpi, score from scorecard.kpi_scores "
        "where period = ? order by entity_type, entity_id, kpi",
        [THIRD],
    )
    old, new = (
        scores[scores["snapshot_id"] == s].drop(columns="snapshot_id").reset_index(drop=True)
        for s in march["snapshot_id"]
    )
    pd.testing.assert_frame_equal(old, new)


def test_snapshots_carry_lineage(pipeline):
    row = query("select * from scorecard.snapshots order by scored_at limit 1").iloc[0]
    assert row["status"] == "final"
    assert row["scorecard_version"] and len(row["scorecard_hash"]) == 64
    assert row["checks_passed"]
    assert row["source_watermark"] is not None
    assert row["run_id"] == pipeline["first"].run_id
    entities = query(
        "select count(*) as n, count(grade) as graded from scorecard.current_entity_scores"
    )
    assert entities["n"][0] > 0 and entities["graded"][0] > 0


def test_every_contract_table_landed_rows(pipeline):
    for table in load_contract().tables:
        assert scalar(f"select count(*) from raw.{table}") > 0, table


def test_every_model_is_side_by_side_and_reconciles_on_generated_data(pipeline):
    for mart in ("fct_attribution", "fct_channel_performance"):
        per_period = query(f"select period, count(distinct model) as models from marts.{mart} "
                           "group by period")  # fmt: skip
        assert per_period["models"].tolist() == [len(ATTRIBUTION_MODELS)] * 2, mart
    revenue = query(
        "select credited.period, credited.model, credited.revenue, expected.revenue as expected "
        "from (select period, model, sum(credited_revenue) as revenue from marts.fct_attribution "
        "      group by period, model) as credited "
        "inner join (select period, sum(conversion_value) as revenue "
        "      from (select distinct period, conversion_id, conversion_value "
        "            from marts.fct_attribution) as conversions group by period) as expected "
        "on credited.period = expected.period"
    )
    assert len(revenue) == 2 * len(ATTRIBUTION_MODELS)
    for row in revenue.itertuples():
        assert float(row.revenue) == pytest.approx(float(row.expected), rel=1e-9), row
    weights = query(
        "select period, conversion_type, model, sum(weight) as total, "
        "sum(credited_conversions) as credited, min(weight) as lowest "
        "from marts.fct_attribution_model_weights group by period, conversion_type, model"
    )
    conversions = query(
        "select period, conversion_type, count(distinct conversion_id) as conversions "
        "from marts.fct_attribution group by period, conversion_type"
    )
    checked = weights.merge(conversions, on=["period", "conversion_type"])
    assert len(checked) == 2 * 3 * 2  # months x conversion types x data-driven models
    assert checked["total"].tolist() == pytest.approx([1.0] * len(checked))
    assert checked["credited"].tolist() == pytest.approx(checked["conversions"].tolist())
    assert (checked["lowest"] >= 0).all()
    # Both marginals of the data-driven credit: per conversion it sums to 1 (above), per channel
    # to the allocated conversions, which add up to the conversions like the model's results.
    per_channel = query(
        "select weights.allocated_conversions, coalesce(credit.credit, 0) as credit "
        "from marts.fct_attribution_model_weights as weights left join ("
        "  select period, conversion_type, model, channel, sum(credit) as credit "
        "  from marts.fct_attribution group by period, conversion_type, model, channel"
        ") as credit using (period, conversion_type, model, channel)"
    )
    assert per_channel["credit"].tolist() == pytest.approx(
        per_channel["allocated_conversions"].tolist(), abs=1e-6
    )
    allocated = query(
        "select period, conversion_type, model, sum(allocated_conversions) as allocated "
        "from marts.fct_attribution_model_weights group by period, conversion_type, model"
    ).merge(conversions, on=["period", "conversion_type"])
    assert allocated["allocated"].tolist() == pytest.approx(allocated["conversions"].tolist())


def test_data_driven_weights_do_not_depend_on_channel_names(pipeline):
    paths = query(
        "select period, conversion_type, path, conversions, non_conversions "
        "from intermediate.int_attribution_paths_aggregated where period = ?",
        [THIRD],
    )
    channels = sorted({c for path in paths["path"] for c in path.split(" > ")})
    renamed = dict(zip(channels, [f"x{i}" for i in reversed(range(len(channels)))], strict=True))
    shuffled = paths.assign(
        path=paths["path"].map(lambda p: " > ".join(renamed[c] for c in p.split(" > ")))
    ).sample(frac=1, random_state=1)
    attribution = load_pipeline_config().attribution
    original = learn_channel_weights(paths, attribution)
    permuted = learn_channel_weights(shuffled, attribution)
    permuted["channel"] = permuted["channel"].map({v: k for k, v in renamed.items()})
    key = ["conversion_type", "model", "channel"]
    left = original.sort_values(key).reset_index(drop=True)
    right = permuted.sort_values(key).reset_index(drop=True)
    for column in ("model_value", "weight", "credited_conversions"):
        assert right[column].tolist() == pytest.approx(left[column].tolist(), abs=1e-12), column
    for column in ("allocation_weight", "allocated_conversions"):  # fitted to 1e-12 of the total
        assert right[column].tolist() == pytest.approx(left[column].tolist(), abs=1e-9), column


def test_markov_gives_nothing_to_a_channel_that_only_ends_lost_journeys(pipeline):
    # Generated paths plus a channel `ghost` appended to the end of every non-converting path:
    # it never leads to a conversion, so removing it changes nothing.
    paths = query(
        "select period, conversion_type, path, conversions, non_conversions "
        "from intermediate.int_attribution_paths_aggregated where period = ?",
        [THIRD],
    )
    lost = paths[paths["non_conversions"] > 0].assign(
        path=lambda f: f["path"] + " > ghost", conversions=0
    )
    won = paths[paths["conversions"] > 0].assign(non_conversions=0)
    weights = learn_channel_weights(pd.concat([won, lost]), load_pipeline_config().attribution)
    ghost = weights[(weights["model"] == "markov") & (weights["channel"] == "ghost")]
    assert len(ghost) == 3  # one per conversion type
    assert ghost["model_value"].tolist() == [0.0, 0.0, 0.0]
    assert ghost["weight"].tolist() == [0.0, 0.0, 0.0]


def test_quarter_rollups_add_sums_and_recompute_ratios(pipeline):
    months = query(
        "select kpi, sum(value) as total, sum(numerator) as numerator, "
        "sum(denominator) as denominator from marts.fct_kpi "
        "where entity_type = 'company' and kpi in ('revenue', 'win_rate') group by kpi"
    ).set_index("kpi")
    quarter = query(
        "select kpi, value, months, method from marts.fct_kpi_rollups "
        "where period_grain = 'quarter' and entity_type = 'company' "
        "and kpi in ('revenue', 'win_rate')"
    ).set_index("kpi")
    assert quarter.loc["revenue", "value"] == pytest.approx(months.loc["revenue", "total"])
    assert quarter.loc["revenue", "method"] == "sum"
    win_rate = months.loc["win_rate", "numerator"] / months.loc["win_rate", "denominator"]
    assert quarter.loc["win_rate", "value"] == pytest.approx(win_rate)
    assert quarter.loc["win_rate", "method"] == "ratio of sums"
    assert quarter["months"].tolist() == [2, 2]  # February and March of the first quarter
