"""SQL sources: a contract table read from SQLite, MariaDB and PostgreSQL through dlt lands
through the same checks, quarantine and lineage as a file; the month window, column mapping,
watermark, late updates, schema drift and a database that is down."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa

from pipelines.extract.contract import load_contract
from pipelines.extract.files import LandingError
from pipelines.extract.landing import LandingRules, land_table
from pipelines.extract.sources import SqlSource
from pipelines.extract.sources import sql as sql_source
from pipelines.warehouse.connection import DuckDBWarehouse
from pipelines.warehouse.schema import ensure_layout
from tests.conftest import PG_ADMIN_URL, fresh_database, fresh_mariadb_database

JANUARY, FEBRUARY = date(2025, 1, 1), date(2025, 2, 1)
RULES = LandingRules(channels=["direct"], currencies=["USD"], now=datetime(2026, 1, 1, tzinfo=UTC))
ORDERS = load_contract().table("orders")
ENV = "SCORECARD_TEST_SHOP_URL"
SOURCE = SqlSource(
    kind="sql",
    url_env=ENV,
    table="shop_orders",
    columns={"order_id": "order_ref"},
    period_column="ordered_at",
)


@pytest.fixture(scope="module", params=["sqlite", "mariadb", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A fresh database of each kind, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'shop.db'}"
    elif request.param == "mariadb":
        with fresh_mariadb_database("scorecard_src") as url:
            yield url
    else:
        admin = psycopg2.connect(PG_ADMIN_URL, connect_timeout=3)
        try:
            with fresh_database("scorecard_src", admin) as url:
                # a password in the URL (trust auth ignores it) must reach no lineage
                yield url.replace("postgres@", "postgres:s3cret@")
        finally:
            admin.close()


@pytest.fixture
def shop(database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    """The shop's orders table (its own key name, an updated_at cursor), seeded afresh."""
    monkeypatch.setenv(ENV, database)
    engine = sql_source.create_engine(database)
    metadata = sa.MetaData()
    table = sa.Table(
        "shop_orders",
        metadata,
        sa.Column("order_ref", sa.String(20), primary_key=True),
        sa.Column("customer_id", sa.String(20)),
        sa.Column("ordered_at", sa.DateTime),
        sa.Column("status", sa.String(20)),
        sa.Column("currency", sa.String(3)),
        sa.Column("gross_amount", sa.Numeric(12, 2)),
        sa.Column("discount_amount", sa.Numeric(12, 2)),
        sa.Column("internal_note", sa.String(50)),  # a column the contract does not take
        sa.Column("updated_at", sa.DateTime),
    )
    metadata.drop_all(engine)
    metadata.create_all(engine)
    rows = [
        (
            "o1",
            "c1",
            datetime(2025, 1, 3, 10),
            "completed",
            "USD",
            "100.50",
            "5",
            datetime(2025, 1, 3, 11),
        ),
        (
            "o2",
            "c2",
            datetime(2025, 1, 20, 9),
            "completed",
            "USD",
            "-3",
            "0",
            datetime(2025, 1, 21),
        ),
        (
            "o3",
            "c3",
            datetime(2025, 2, 2, 8),
            "cancelled",
            "USD",
            "40",
            "0",
            datetime(2025, 2, 2, 9),
        ),
    ]
    names = [c.name for c in table.columns if c.name != "internal_note"]
    with engine.begin() as connection:
        connection.execute(table.insert(), [dict(zip(names, row, strict=True)) for row in rows])
    yield engine
    metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def warehouse(tmp_path: Path):
    with DuckDBWarehouse(tmp_path / "w.duckdb", memory_limit="1GB") as wh:
        ensure_layout(wh)
        yield wh


def test_a_month_lands_from_the_database_through_the_landing_checks(shop, warehouse):
    [batch] = land_table(warehouse, "unused", ORDERS, [JANUARY], RULES, SOURCE)
    assert (batch.rows_read, batch.rows_landed, batch.rows_quarantined) == (2, 1, 1)
    landed = warehouse.query("select order_id, gross_amount, _source, _period from raw.orders")
    assert landed["order_id"].tolist() == ["o1"]
    assert landed["gross_amount"].tolist() == [Decimal("100.5")]
    source = landed["_source"][0]
    assert "/shop_orders?updated_at=2025-01-03T11:00:00..2025-01-21T00:00:00" in source
    assert source.endswith("&ordered_at=2025-01")
    assert "s3cret" not in source and "root@" not in source
    reason = warehouse.query("select source, reason from quality.quarantine")
    assert reason["source"].tolist() == [source]
    assert "gross_amount" in reason["reason"][0]
    watermark = warehouse.query(
        "select source_watermark from quality.landed_batches where table_name = 'orders'"
    )
    assert watermark["source_watermark"].tolist() == [datetime(2025, 1, 21)]
    [note] = batch.notes  # a column the database has and the contract does not: named, not read
    assert note.endswith(
        "/shop_orders: column(s) internal_note not in the contract of table 'orders' "
        "(new? not read; map one under sources.orders.columns)"
    )


def test_a_late_update_shows_as_a_changed_month_and_relands_it(shop, warehouse):
    land_table(warehouse, "unused", ORDERS, [JANUARY, FEBRUARY], RULES, SOURCE)
    since = datetime(2025, 2, 2, 9)
    assert sql_source.changed_months(SOURCE, ORDERS, None) == [JANUARY, FEBRUARY]
    assert sql_source.changed_months(SOURCE, ORDERS, since) == []
    with shop.begin() as connection:
        connection.execute(
            sa.text(
                "update shop_orders set gross_amount = 120, updated_at = :at where order_ref = 'o1'"
            ),
            {"at": datetime(2025, 3, 1)},
        )
    assert sql_source.changed_months(SOURCE, ORDERS, since) == [JANUARY]
    [batch] = land_table(warehouse, "unused", ORDERS, [JANUARY], RULES, SOURCE)
    assert batch.source_watermark == datetime(2025, 3, 1)
    newest = warehouse.query(
        "select gross_amount from raw.orders where _batch_id = ?", [batch.batch_id]
    )
    assert newest["gross_amount"].tolist() == [Decimal("120")]


def landed_orders(warehouse, batch_id: str) -> dict[str, Decimal]:
    rows = warehouse.query(
        "select order_id, gross_amount from raw.orders where _batch_id = ?", [batch_id]
    )
    return dict(zip(rows["order_id"], rows["gross_amount"], strict=True))


def test_a_month_landed_before_relands_reading_only_its_changed_rows(shop, warehouse):
    """February lands whole; after one update, one delete and one insert at the source, its
    re-land reads the two changed rows (and the month's keys), keeps the untouched row from the
    previous batch, and lands what a whole read would."""
    with shop.begin() as connection:
        connection.execute(
            sa.text(
                "insert into shop_orders (order_ref, customer_id, ordered_at, status, currency, "
                "gross_amount, discount_amount, updated_at) values "
                "('o5', 'c5', :at, 'completed', 'USD', 55, 0, :at), "
                "('o6', 'c6', :at, 'completed', 'USD', 66, 0, :at)"
            ),
            {"at": datetime(2025, 2, 5, 12)},
        )
    [first] = land_table(warehouse, "unused", ORDERS, [FEBRUARY], RULES, SOURCE)
    assert landed_orders(warehouse, first.batch_id) == {
        "o3": Decimal(40), "o5": Decimal(55), "o6": Decimal(66),
    }  # fmt: skip
    assert not [note for note in first.notes if "incremental" in note]
    with shop.begin() as connection:
        later = {"at": datetime(2025, 3, 2)}
        connection.execute(
            sa.text("update shop_orders set gross_amount = 56, updated_at = :at "
                    "where order_ref = 'o5'"), later,
        )  # fmt: skip
        connection.execute(sa.text("delete from shop_orders where order_ref = 'o6'"))
        connection.execute(
            sa.text(
                "insert into shop_orders (order_ref, customer_id, ordered_at, status, currency, "
                "gross_amount, discount_amount, updated_at) values "
                "('o7', 'c7', '2025-02-20 10:00:00', 'completed', 'USD', 77, 0, :at)"
            ),
            later,
        )
    [second] = land_table(warehouse, "unused", ORDERS, [FEBRUARY], RULES, SOURCE)
    [note] = [note for note in second.notes if "incremental" in note]
    assert "2 row(s) changed since the watermark read, 1 kept from batch" in note
    assert "&since=2025-02-05T12:00:00" in second.source
    assert second.source_watermark == datetime(2025, 3, 2)
    expected = {"o3": Decimal(40), "o5": Decimal(56), "o7": Decimal(77)}
    assert landed_orders(warehouse, second.batch_id) == expected
    assert (second.rows_read, second.rows_quarantined) == (3, 0)

    # Nothing changed since: nothing but the keys is read, the month stays whole.
    [third] = land_table(warehouse, "unused", ORDERS, [FEBRUARY], RULES, SOURCE)
    assert "0 row(s) changed since the watermark read, 3 kept" in " ".join(third.notes)
    assert landed_orders(warehouse, third.batch_id) == expected


def test_a_month_whose_last_batch_quarantined_rows_is_read_whole(shop, warehouse):
    [first] = land_table(warehouse, "unused", ORDERS, [JANUARY], RULES, SOURCE)
    assert first.rows_quarantined == 1
    [second] = land_table(warehouse, "unused", ORDERS, [JANUARY], RULES, SOURCE)
    assert (second.rows_read, second.rows_quarantined) == (2, 1)
    assert not [note for note in second.notes if "incremental" in note]


QUERY_SOURCE = SqlSource(
    kind="sql",
    url_env=ENV,
    query=(
        "select order_ref, customer_id, ordered_at, status, currency, gross_amount,\n"
        "    discount_amount, updated_at\nfrom shop_orders where status <> 'cancelled'"
    ),
    columns={"order_id": "order_ref"},
    period_column="ordered_at",
)


def test_a_query_is_a_source_like_a_table(shop, warehouse):
    """A SELECT in place of a table: its rows land through the same checks, the month window and
    the cursor apply around it (bound parameters), the lineage names the query by its hash."""
    assert sql_source.changed_months(QUERY_SOURCE, ORDERS, None) == [JANUARY]  # o3: cancelled
    january, february = land_table(
        warehouse, "unused", ORDERS, [JANUARY, FEBRUARY], RULES, QUERY_SOURCE
    )
    assert (january.rows_read, january.rows_landed, january.rows_quarantined) == (2, 1, 1)
    assert february.rows_read == 0
    digest = sql_source.relation_name(QUERY_SOURCE)
    assert digest.startswith("query-") and len(digest) == len("query-") + 8
    assert f"/{digest}?updated_at=" in january.source
    with shop.begin() as connection:
        connection.execute(
            sa.text(
                "update shop_orders set status = 'completed', updated_at = :at "
                "where order_ref = 'o3'"
            ),
            {"at": datetime(2025, 3, 1)},
        )
    assert sql_source.changed_months(QUERY_SOURCE, ORDERS, datetime(2025, 2, 2, 9)) == [FEBRUARY]
    [relanded] = land_table(warehouse, "unused", ORDERS, [FEBRUARY], RULES, QUERY_SOURCE)
    assert landed_orders(warehouse, relanded.batch_id) == {"o3": Decimal(40)}


def test_a_query_missing_a_contract_column_is_named(shop, warehouse):
    source = QUERY_SOURCE.model_copy(
        update={"query": "select order_ref, customer_id, ordered_at, updated_at from shop_orders"}
    )
    with pytest.raises(LandingError) as raised:
        land_table(warehouse, "unused", ORDERS, [JANUARY], RULES, source)
    message = str(raised.value)
    assert f"/{sql_source.relation_name(source)}: column 'status', column 'currency'" in message
    assert "are missing for table 'orders'" in message


def test_a_renamed_column_names_table_and_column(shop, warehouse):
    with shop.begin() as connection:
        connection.execute(sa.text("alter table shop_orders rename column status to order_status"))
    with pytest.raises(LandingError) as raised:
        land_table(warehouse, "unused", ORDERS, [JANUARY], RULES, SOURCE)
    message = str(raised.value)
    assert "/shop_orders: column 'status' is missing for table 'orders'" in message
    assert "order_status" in message and "renamed" in message
    assert "map them under sources.orders.columns" in message
    assert warehouse.query("select count(*) as n from raw.orders")["n"][0] == 0


def test_a_database_that_is_down_fails_clearly_after_retries(warehouse, monkeypatch):
    monkeypatch.setenv(ENV, "postgresql://postgres:s3cret@127.0.0.1:1/nowhere")
    monkeypatch.setattr(sql_source, "FIRST_BACKOFF_SECONDS", 0.01)
    with pytest.raises(sql_source.SourceUnavailable) as raised:
        land_table(warehouse, "unused", ORDERS, [JANUARY], RULES, SOURCE)
    message = str(raised.value)
    assert f"did not answer after {sql_source.CONNECT_ATTEMPTS} attempts" in message
    assert ENV in message and "s3cret" not in message
    assert warehouse.query("select count(*) as n from quality.landed_batches")["n"][0] == 0


def test_an_unset_url_variable_is_named(warehouse, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(LandingError, match=f"environment variable {ENV} is not set"):
        land_table(warehouse, "unused", ORDERS, [JANUARY], RULES, SOURCE)
    assert os.environ.get(ENV) is None


def test_the_sources_block_is_validated_naming_the_key(tmp_path):
    from pipelines.config import ConfigError, load_pipeline_config
    from pipelines.home import DEMO_CONFIG_DIR

    path = tmp_path / "pipeline.yaml"
    base = (DEMO_CONFIG_DIR / "pipeline.yaml").read_text()
    path.write_text(base + "sources:\n  order: {kind: sql, url_env: X, table: t}\n")
    with pytest.raises(ConfigError, match="order: not a table of the input contract"):
        load_pipeline_config(path)
    path.write_text(
        base + "sources:\n  orders: {kind: sql, url_env: 'postgres://u:p@h/db', table: t}\n"
    )
    with pytest.raises(ConfigError, match=r"sources\.orders\.sql\.url_env: String should match"):
        load_pipeline_config(path)
    path.write_text(base + "sources:\n  orders: {kind: ftp}\n")
    with pytest.raises(ConfigError, match=r"sources\.orders: Input tag 'ftp'"):
        load_pipeline_config(path)
