"""The demo months end to end through Dagster with every kind of source at once: CRM tables from
the local PostgreSQL, orders from the local MariaDB, ad spend from an API on the loopback
address, the rest from files. Its facts equal the all-files run of the same generated data; ten
CRM rows changed afterwards are the only rows the poll reads."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime

import pandas as pd
import psycopg2
import pytest
import sqlalchemy as sa

from pipelines.config import load_pipeline_config
from pipelines.demo.generator import generate
from pipelines.demo.spend_api import serve_in_background, spend_server
from pipelines.demo.sql_tables import period_column
from pipelines.exit_codes import ExitCode
from pipelines.extract.contract import load_contract
from pipelines.extract.sources import sql as sql_source
from pipelines.home import DEMO_CONFIG_DIR
from tests.conftest import PG_ADMIN_URL, fresh_database, fresh_mariadb_database
from tests.pipeline_runs import AS_OF, FIRST, SECOND, THIRD, query, run

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

CRM = ("teams", "reps", "customers", "leads")
SHOP = ("orders", "order_items", "refunds")


def sources_yaml(spend_url: str) -> str:
    lines = ["sources:"]
    for name, env in [
        *((n, "SCORECARD_CRM_URL") for n in CRM),
        *((n, "SCORECARD_SHOP_URL") for n in SHOP),
    ]:
        lines += [
            f"  {name}:",
            "    kind: sql",
            f"    url_env: {env}",
            f"    table: {name}",
            f"    period_column: {period_column(name)}",
        ]
    lines += ["  ad_spend:", "    kind: api", f"    url: {spend_url}"]
    return "\n".join(lines) + "\n"


def facts() -> dict[str, pd.DataFrame]:
    return {
        "fct_kpi": query(
            "select period, entity_type, entity_id, kpi, value from marts.fct_kpi "
            "order by period, entity_type, entity_id, kpi"
        ),
        "fct_attribution": query(
            "select period, conversion_id, model, touchpoint_id, credit from marts.fct_attribution "
            "order by period, conversion_id, model, touch_position"
        ),
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    folder = tmp_path_factory.mktemp("sources_e2e")
    admin = psycopg2.connect(PG_ADMIN_URL, connect_timeout=3)
    with (
        pytest.MonkeyPatch.context() as env,
        fresh_database("scorecard_crm", admin) as crm_url,
        fresh_mariadb_database("scorecard_shop") as shop_url,
    ):
        arguments = dict(seed=11, scale=0.3, as_of=AS_OF)
        generate(folder / "files", FIRST, THIRD, **arguments)
        generate(folder / "mixed", FIRST, THIRD, to_sql=crm_url, **arguments)
        generate(folder / "unused", FIRST, THIRD, to_sql=shop_url, **arguments)
        shutil.rmtree(folder / "mixed" / "ad_spend")
        server = spend_server(folder / "files")
        serve_in_background(server)
        env.setenv("SCORECARD_TARGET", "duckdb")
        env.setenv("SCORECARD_HOME", "")
        env.setenv("SCORECARD_WAREHOUSE", str(folder / "files.duckdb"))
        env.setenv("SCORECARD_LANDING", str(folder / "files"))
        env.setenv("DAGSTER_HOME", str(folder / "dagster_files"))
        (folder / "dagster_files").mkdir()
        all_files = run(SECOND, THIRD)
        expected = facts()

        home = folder / "home"
        home.mkdir()
        for name in ("scorecard.yaml", "quality.yaml"):
            shutil.copy(DEMO_CONFIG_DIR / name, home / name)
        host, port = server.server_address[:2]
        (home / "pipeline.yaml").write_text(
            (DEMO_CONFIG_DIR / "pipeline.yaml").read_text()
            + sources_yaml(f"http://{host}:{port}/spend")
        )
        env.setenv("SCORECARD_HOME", str(home))
        env.setenv("SCORECARD_CRM_URL", crm_url)
        env.setenv("SCORECARD_SHOP_URL", shop_url)
        env.setenv("SCORECARD_WAREHOUSE", str(folder / "mixed.duckdb"))
        env.setenv("SCORECARD_LANDING", str(folder / "mixed"))
        env.setenv("DAGSTER_HOME", str(folder / "dagster_mixed"))
        (folder / "dagster_mixed").mkdir()
        mixed = run(SECOND, THIRD)
        yield {
            "all_files": all_files,
            "mixed": mixed,
            "expected": expected,
            "actual": facts(),
            "crm_url": crm_url,
        }
        server.shutdown()
        server.server_close()
    admin.close()


def test_both_runs_publish(runs):
    assert runs["all_files"].exit_code is ExitCode.PUBLISHED, runs["all_files"].problems
    assert runs["mixed"].exit_code is ExitCode.PUBLISHED, runs["mixed"].problems


def test_the_facts_equal_the_all_files_run(runs):
    for name, expected in runs["expected"].items():
        assert len(expected) > 0, name
        pd.testing.assert_frame_equal(runs["actual"][name], expected, obj=name)


def test_every_kind_is_named_in_the_lineage(runs):
    sources = query(
        "select table_name, min(source) as source from quality.landed_batches group by table_name"
    )
    by_table = dict(zip(sources["table_name"], sources["source"], strict=True))
    assert by_table["leads"].startswith("postgresql://127.0.0.1:5432/scorecard_crm_")
    assert by_table["orders"].startswith("mysql://127.0.0.1:3306/scorecard_shop_")
    assert "/spend?month=2025-0" in by_table["ad_spend"]
    assert by_table["touchpoints"].endswith(".csv")


def test_each_snapshot_records_the_batches_it_read_and_their_cursor_watermarks(runs):
    """scorecard.snapshot_sources: per snapshot, the newest batch of each table and month, with
    the cursor watermark a database batch held; the snapshot's own watermark is the newest."""
    lineage = query(
        "select snapshots.snapshot_id, snapshots.source_watermark as snapshot_mark, "
        "sources.table_name, sources.batch_id, sources.source_watermark "
        "from scorecard.snapshots as snapshots "
        "join scorecard.snapshot_sources as sources using (snapshot_id) "
        "where snapshots.period = ?",
        [THIRD],
    )
    newest = query(
        "select table_name, batch_id, source_watermark from quality.landed_batches "
        "where period = ? and table_name = 'leads' order by loaded_at desc limit 1",
        [THIRD],
    )
    leads = lineage[lineage["table_name"] == "leads"]
    assert leads["batch_id"].tolist() == newest["batch_id"].tolist()
    assert leads["source_watermark"].tolist() == newest["source_watermark"].tolist()
    assert leads["source_watermark"].notna().all()
    assert lineage["source_watermark"].isna().any()  # touchpoints came from files
    cursors = lineage["source_watermark"].dropna()
    assert (lineage["snapshot_mark"] == cursors.max()).all()
    assert {"leads", "orders", "ad_spend", "touchpoints"} <= set(lineage["table_name"])


def test_ten_changed_crm_rows_are_the_only_rows_read(runs):
    watermark = query(
        "select max(source_watermark) as w from quality.landed_batches where table_name = 'leads'"
    )["w"][0].to_pydatetime()
    engine = sql_source.create_engine(runs["crm_url"])
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "update leads set updated_at = :at where snapshot_month = :month and lead_id in "
                "(select lead_id from leads where snapshot_month = :month "
                "order by lead_id limit 10)"
            ),
            {"at": datetime(2025, 4, 20), "month": datetime(2025, 3, 1)},
        )
    engine.dispose()
    source = load_pipeline_config().source_of("leads")
    table = load_contract().table("leads")
    changed = sql_source.changed_rows(source, table, watermark, ["lead_id", source.cursor])
    assert sum(part.num_rows for part in changed) == 10
    assert sql_source.changed_months(source, table, watermark) == [THIRD]

    # The month re-lands reading only those ten rows (and the month's keys); the others are
    # kept from its previous batch, so the staged leads are what a whole read gives.
    rows_before = query("select count(*) as n from staging.stg_crm__leads")["n"][0]
    assert run(THIRD, THIRD).exit_code is ExitCode.PUBLISHED
    newest = query(
        "select source, rows_read, rows_quarantined from quality.landed_batches "
        "where table_name = 'leads' and period = ? order by loaded_at desc limit 1",
        [THIRD],
    ).iloc[0]
    assert "?updated_at=2025-04-20T00:00:00..2025-04-20T00:00:00&since=" in newest["source"]
    assert query("select count(*) as n from staging.stg_crm__leads")["n"][0] == rows_before
