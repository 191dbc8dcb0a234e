"""Landing: contract violations are quarantined with reasons, bad files fail with clear messages,
and no row is ever lost (read = landed + quarantined)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.config import load_pipeline_config
from pipelines.extract.contract import DECIMAL_TYPE, load_contract
from pipelines.extract.files import LandingError
from pipelines.extract.landing import LandingRules, land_table
from pipelines.warehouse import Warehouse
from pipelines.warehouse.connection import DuckDBWarehouse, PostgresWarehouse
from pipelines.warehouse.schema import ensure_layout

JANUARY = date(2025, 1, 1)
RULES = LandingRules(
    channels=["direct", "paid_search", "email"],
    currencies=["USD"],
    now=datetime(2026, 1, 1, tzinfo=UTC),
)
ORDERS_HEADER = "order_id,customer_id,ordered_at,status,currency,gross_amount,discount_amount\n"


@pytest.fixture
def warehouse(tmp_path: Path):
    with DuckDBWarehouse(tmp_path / "w.duckdb", memory_limit="1GB") as wh:
        ensure_layout(wh)
        yield wh


def write(landing: Path, table: str, text: str, month: str = "2025-01") -> Path:
    path = landing / table / f"{month}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def land(warehouse, landing: Path, table: str, months=(JANUARY,)):
    return land_table(warehouse, str(landing), load_contract().table(table), list(months), RULES)


def test_violating_rows_are_quarantined_with_reasons_and_the_rest_lands(warehouse, tmp_path):
    write(
        tmp_path,
        "orders",
        ORDERS_HEADER
        + "o1,c1,2025-01-03 10:00:00,completed,USD,100.00,5\n"
        + "o2,c2,2025-01-0x,completed,USD,10,0\n"  # bad timestamp
        + "o3,c3,2025-01-04 10:00:00,completed,USD,-3,0\n"  # negative amount
        + "o4,,2025-01-05 10:00:00,completed,USD,10,0\n"  # missing key part
        + "o5,c5,2025-01-05 10:00:00,completed,EUR,10,0\n"  # wrong currency
        + "o6,c6,2027-01-05 10:00:00,completed,USD,10,0\n",  # future
    )
    [batch] = land(warehouse, tmp_path, "orders")
    assert (batch.rows_read, batch.rows_landed, batch.rows_quarantined) == (6, 1, 5)
    landed = warehouse.query("select order_id, gross_amount, _batch_id, _period from raw.orders")
    assert landed["order_id"].tolist() == ["o1"]
    assert float(landed["gross_amount"][0]) == 100.0
    assert landed["_batch_id"][0] == batch.batch_id
    quarantine = warehouse.query(
        "select source_row, reason, original_row from quality.quarantine order by source_row"
    )
    reasons = dict(zip(quarantine["source_row"], quarantine["reason"], strict=True))
    assert (
        reasons[2]
        == "ordered_at: expected a timestamp YYYY-MM-DD HH:MM:SS (UTC, or with an offset Z, "
        "+hh:mm), got '2025-01-0x'"
    )
    assert reasons[3] == "gross_amount: expected a value >= 0, got '-3'"
    assert reasons[4] == "customer_id: missing value, expected text"
    assert reasons[5].startswith("currency: currency not the reporting currency 'EUR'")
    assert reasons[6] == "ordered_at: in the future, got '2027-01-05 10:00:00'"
    original = json.loads(quarantine["original_row"][0])
    assert original["ordered_at"] == "2025-01-0x"


TOUCHPOINTS_HEADER = (
    "touchpoint_id,visitor_id,customer_id,occurred_at,channel,campaign_id,touch_type\n"
)


def test_unmapped_channel_label_is_quarantined_saying_how_to_map_it(warehouse, tmp_path):
    write(
        tmp_path,
        "touchpoints",
        TOUCHPOINTS_HEADER + "t1,v1,,2025-01-02 09:00:00,email,,email_open\n"
        "t2,v1,,2025-01-02 10:00:00,carrier_pigeon,,visit\n",
    )
    [batch] = land(warehouse, tmp_path, "touchpoints")
    assert (batch.rows_landed, batch.rows_quarantined) == (1, 1)
    assert warehouse.scalar("select reason from quality.quarantine") == (
        "channel: unmapped channel label 'carrier_pigeon', map it to a channel with a rule in "
        "pipeline.yaml channel_mapping.rules (or set unmapped: other)"
    )
    original = json.loads(warehouse.scalar("select original_row from quality.quarantine"))
    assert original["channel"] == "carrier_pigeon"


def test_raw_channel_labels_land_as_canonical_channels(warehouse, tmp_path):
    write(
        tmp_path,
        "touchpoints",
        TOUCHPOINTS_HEADER + "t1,v1,,2025-01-02 09:00:00,Paid Search,,click\n"
        "t2,v1,,2025-01-02 10:00:00,direct_traffic,,visit\n"
        "t3,v2,,2025-01-03 10:00:00,google / cpc,,click\n"
        "t4,v2,,2025-01-03 11:00:00, email ,,visit\n"
        "t5,v3,,2025-01-04 11:00:00,Carrier Pigeon,,visit\n",
    )
    rules = replace(RULES, channel_mapping=load_pipeline_config().channel_mapping)
    [batch] = land_table(
        warehouse, str(tmp_path), load_contract().table("touchpoints"), [JANUARY], rules
    )
    assert (batch.rows_landed, batch.rows_quarantined) == (4, 1)
    landed = warehouse.query("select touchpoint_id, channel from raw.touchpoints order by 1")
    assert landed["channel"].tolist() == ["paid_search", "direct", "paid_search", "email"]

    other = replace(
        rules, channel_mapping=rules.channel_mapping.model_copy(update={"unmapped": "other"})
    )
    [batch] = land_table(
        warehouse, str(tmp_path), load_contract().table("touchpoints"), [JANUARY], other
    )
    assert (batch.rows_landed, batch.rows_quarantined) == (5, 0)
    assert (
        warehouse.scalar(
            "select channel from raw.touchpoints where _batch_id = ? and touchpoint_id = 't5'",
            [batch.batch_id],
        )
        == "other"
    )


def test_missing_column_fails_naming_file_and_column(warehouse, tmp_path):
    path = write(
        tmp_path,
        "orders",
        ORDERS_HEADER.replace(",discount_amount", "") + "o1,c1,2025-01-03,completed,USD,1\n",
    )
    with pytest.raises(LandingError) as error:
        land(warehouse, tmp_path, "orders")
    assert str(path) in str(error.value)
    assert "column 'discount_amount' is missing" in str(error.value)
    assert warehouse.scalar("select count(*) from raw.orders") == 0


def test_extra_or_renamed_column_fails(warehouse, tmp_path):
    write(
        tmp_path,
        "orders",
        ORDERS_HEADER.replace("gross_amount", "gross") + "o1,c1,2025-01-03,completed,USD,1,0\n",
    )
    with pytest.raises(
        LandingError,
        match="column 'gross_amount' is missing; column 'gross' is not in the contract",
    ):
        land(warehouse, tmp_path, "orders")


def test_truncated_file_fails_naming_the_file(warehouse, tmp_path):
    path = write(
        tmp_path,
        "orders",
        ORDERS_HEADER + "o1,c1,2025-01-03 10:00:00,completed,USD,1,0\no2,c2,2025-01",
    )
    with pytest.raises(LandingError, match=f"{path}: cannot be read as CSV"):
        land(warehouse, tmp_path, "orders")
    assert warehouse.scalar("select count(*) from raw.orders") == 0


def test_a_month_without_a_file_lands_no_batch_and_a_header_only_file_an_empty_one(
    warehouse, tmp_path
):
    assert land(warehouse, tmp_path, "orders") == []
    assert warehouse.scalar("select count(*) from quality.landed_batches") == 0

    write(tmp_path, "orders", ORDERS_HEADER)
    [batch] = land(warehouse, tmp_path, "orders")
    assert (batch.rows_read, batch.rows_landed) == (0, 0) and batch.source
    assert warehouse.scalar("select rows_read from quality.landed_batches") == 0


def test_parquet_lands_like_csv(warehouse, tmp_path):
    frame = pd.DataFrame(
        {
            "refund_id": ["r1", "r2"],
            "order_id": ["o1", "o2"],
            "refunded_at": [datetime(2025, 1, 5), datetime(2025, 1, 6)],
            "amount": [5.5, -1.0],
        }
    )
    (tmp_path / "refunds").mkdir()
    frame.to_parquet(tmp_path / "refunds" / "2025-01.parquet")
    [batch] = land(warehouse, tmp_path, "refunds")
    assert (batch.rows_landed, batch.rows_quarantined) == (1, 1)
    assert (
        warehouse.scalar("select reason from quality.quarantine")
        == "amount: expected a value >= 0, got '-1.0'"
    )


def test_landing_twice_appends_a_second_batch_and_keeps_the_first(warehouse, tmp_path):
    write(tmp_path, "orders", ORDERS_HEADER + "o1,c1,2025-01-03 10:00:00,completed,USD,100,0\n")
    first = land(warehouse, tmp_path, "orders")[0]
    second = land(warehouse, tmp_path, "orders")[0]
    batches = warehouse.query("select _batch_id from raw.orders order by _loaded_at")[
        "_batch_id"
    ].tolist()
    assert batches == [first.batch_id, second.batch_id]


def test_a_table_without_dates_lands(warehouse, tmp_path):
    write(
        tmp_path,
        "teams",
        "team_id,team_name,parent_team_id,stage\nt1,Sales,,mature\nt2,Growth,t1,scaleup\n",
    )
    [batch] = land(warehouse, tmp_path, "teams")
    assert (batch.rows_landed, batch.rows_quarantined) == (1, 1)


def test_a_warehouse_filled_before_the_landing_log_gets_its_batches_logged_once(
    warehouse, tmp_path
):
    write(
        tmp_path,
        "orders",
        ORDERS_HEADER
        + "o1,c1,2025-01-03 10:00:00,completed,USD,100.00,5\n"
        + "o2,c2,2025-01-04 10:00:00,completed,USD,-3,0\n",  # quarantined
    )
    [batch] = land(warehouse, tmp_path, "orders")
    logged = warehouse.query("select * from quality.landed_batches")
    warehouse.execute("delete from quality.landed_batches")  # as before the log existed
    warehouse.execute("delete from quality.layout_versions")  # laid out by that older code

    ensure_layout(warehouse)
    ensure_layout(warehouse)  # idempotent: logged once

    relogged = warehouse.query("select * from quality.landed_batches")
    assert len(relogged) == 1
    row = relogged.iloc[0]
    assert (row["batch_id"], row["table_name"], row["source"]) == (
        batch.batch_id,
        "orders",
        batch.source,
    )
    assert (row["rows_read"], row["rows_landed"], row["rows_quarantined"]) == (2, 1, 1)
    assert row["period"] == logged.iloc[0]["period"]


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_quarantined_rows_name_their_row_in_a_file_read_in_parallel(
    warehouse, tmp_path, file_format
):
    """300,000 rows (many row groups, read on every thread): a bad row's source_row is its
    line in the file (1 = the first row after the header) and its original values are its own."""
    rows, every = 300_000, 7_919
    (tmp_path / "refunds").mkdir()
    target = tmp_path / "refunds" / f"2025-01.{file_format}"
    with duckdb.connect() as scratch:
        scratch.execute(
            f"""
            copy (
                select 'r' || i as refund_id, 'o' || i as order_id,
                    '2025-01-05 10:00:00' as refunded_at,
                    case when i % {every} = 0 then '-' || i else '1.5' end as amount
                from range(1, {rows + 1}) as t(i)
            ) to '{target}' (format {file_format})
            """
        )
    [batch] = land(warehouse, tmp_path, "refunds")
    assert (batch.rows_read, batch.rows_quarantined) == (rows, rows // every)
    quarantined = warehouse.query(
        "select source_row, reason, original_row from quality.quarantine order by source_row"
    )
    expected = [i for i in range(1, rows + 1) if i % every == 0]
    assert quarantined["source_row"].tolist() == expected
    for row in quarantined.itertuples():
        assert json.loads(row.original_row)["refund_id"] == f"r{row.source_row}"
        assert row.reason == f"amount: expected a value >= 0, got '-{row.source_row}'"
    assert warehouse.scalar("select count(*) from raw.refunds") == rows - rows // every


REFUNDS_HEADER = "refund_id,order_id,refunded_at,amount\n"


def test_amounts_keep_nine_decimals_and_more_are_quarantined_not_rounded(warehouse, tmp_path):
    write(
        tmp_path,
        "refunds",
        REFUNDS_HEADER
        + "r1,o1,2025-01-05 10:00:00,12.123456789\n"
        + "r2,o2,2025-01-05 10:00:00,74803.123456\n"
        + "r3,o3,2025-01-05 10:00:00,1.10000000000\n"  # trailing zeros: exact
        + "r4,o4,2025-01-05 10:00:00,1.5e-3\n"
        + f"r5,o5,2025-01-05 10:00:00,{'9' * 29}.5\n"  # the widest that fits
        + "r6,o6,2025-01-05 10:00:00,0.1234567891\n"  # 10 decimals
        + "r7,o7,2025-01-05 10:00:00,1.5e-10\n"  # 10 decimals written as an exponent
        + f"r8,o8,2025-01-05 10:00:00,{'9' * 30}\n"  # 30 digits before the point
        + "r9,o9,2025-01-05 10:00:00,twelve\n",
    )
    [batch] = land(warehouse, tmp_path, "refunds")
    assert (batch.rows_landed, batch.rows_quarantined) == (5, 4)
    landed = dict(
        warehouse.connection.execute(
            "select refund_id, amount from raw.refunds order by refund_id"
        ).fetchall()
    )
    assert landed == {
        "r1": Decimal("12.123456789"),
        "r2": Decimal("74803.123456"),
        "r3": Decimal("1.1"),
        "r4": Decimal("0.0015"),
        "r5": Decimal("9" * 29 + ".5"),
    }
    reasons = warehouse.query("select source_row, reason from quality.quarantine order by 1")
    assert reasons["reason"].tolist() == [
        "amount: more than 9 decimal places, got '0.1234567891'",
        "amount: more than 9 decimal places, got '1.5e-10'",
        f"amount: out of range, expected at most 29 digits before the decimal point, got "
        f"'{'9' * 30}'",
        "amount: expected a decimal number, got 'twelve'",
    ]


def test_amount_type_of_dbt_is_the_contract_type():
    macro = Path(__file__).parents[1] / "dbt_project" / "macros" / "amounts.sql"
    assert f"\n    {DECIMAL_TYPE}\n" in macro.read_text()


def test_a_warehouse_with_narrow_amounts_is_widened_keeping_its_values(tmp_path):
    with DuckDBWarehouse(tmp_path / "old.duckdb", memory_limit="1GB") as wh:
        wh.execute("create schema raw")
        wh.execute(
            "create table raw.refunds (refund_id varchar, order_id varchar, "
            "refunded_at timestamp, amount decimal(18,4), _batch_id varchar, _source varchar, "
            "_period date, _loaded_at timestamp)"
        )
        wh.execute(
            "insert into raw.refunds values ('r1', 'o1', null, 1.2345, 'b', 's', null, null)"
        )
        ensure_layout(wh)
        assert (
            wh.scalar(
                "select data_type from information_schema.columns "
                "where table_schema = 'raw' and table_name = 'refunds' and column_name = 'amount'"
            )
            == DECIMAL_TYPE.upper()
        )
        assert wh.connection.execute("select amount from raw.refunds").fetchone()[0] == Decimal(
            "1.2345"
        )


@pytest.fixture
def postgres_warehouse(postgres_url: str) -> Iterator[Warehouse]:
    with PostgresWarehouse(postgres_url) as wh:
        for schema in ("raw", "quality"):
            wh.execute(f"drop schema if exists {schema} cascade")
        ensure_layout(wh)
        yield wh


def test_postgresql_lands_by_copy_with_quarantine_and_exact_amounts(postgres_warehouse, tmp_path):
    write(
        tmp_path,
        "orders",
        ORDERS_HEADER
        + "o1,c1,2025-01-03 10:00:00,completed,USD,74803.123456,0.000001\n"
        + "o2,c2,2025-01-0x,completed,USD,10,0\n"
        + 'o3,"",2025-01-04 10:00:00,completed,USD,1.5,0\n',
    )
    [batch] = land(postgres_warehouse, tmp_path, "orders")
    assert (batch.rows_read, batch.rows_landed, batch.rows_quarantined) == (3, 1, 2)
    [row] = postgres_warehouse.rows(
        "select order_id, gross_amount, discount_amount, _batch_id as batch_id from raw.orders"
    )
    assert (row.order_id, row.batch_id) == ("o1", batch.batch_id)
    assert (row.gross_amount, row.discount_amount) == (Decimal("74803.123456"), Decimal("1E-6"))
    quarantined = postgres_warehouse.rows(
        "select source_row, reason from quality.quarantine order by source_row"
    )
    assert [(q.source_row, q.reason.split(":")[0]) for q in quarantined] == [
        (2, "ordered_at"),
        (3, "customer_id"),
    ]
    assert postgres_warehouse.scalar("select rows_read from quality.landed_batches") == 3


def test_postgresql_narrow_amounts_are_widened_past_the_staging_views(postgres_url):
    with PostgresWarehouse(postgres_url) as wh:
        for schema in ("raw", "quality"):  # a warehouse laid out by older code
            wh.execute(f"drop schema if exists {schema} cascade")
        wh.execute("create schema raw")
        wh.execute("create schema if not exists staging")
        wh.execute(
            "create table raw.refunds (refund_id varchar, order_id varchar, "
            "refunded_at timestamp, amount numeric(18,4), _batch_id varchar, _source varchar, "
            "_period date, _loaded_at timestamp)"
        )
        wh.execute("insert into raw.refunds (refund_id, amount) values ('r1', 1.2345)")
        wh.execute("create or replace view staging.stg_refunds as select * from raw.refunds")
        ensure_layout(wh)
        [column] = wh.rows(
            "select numeric_precision, numeric_scale from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'refunds' and column_name = 'amount'"
        )
        assert (column.numeric_precision, column.numeric_scale) == (38, 9)
        assert wh.scalar("select amount from raw.refunds") == Decimal("1.2345")
        assert wh.scalar("select to_regclass('staging.stg_refunds')") is None  # dbt rebuilds it
