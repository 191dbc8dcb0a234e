"""Every class of bad input and its exact outcome: a bad row is quarantined with its reason while
every good row of the file lands; a bad file fails naming the file (and column) and lands nothing;
rows that are each fine but wrong together land and the table's suite names the problem.

Landing-level (a real DuckDB file, fast) where landing decides the outcome; the last tests go
through real Dagster runs: a fixed file re-landed, and the anomaly checks recorded in a run."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from pipelines.exit_codes import ExitCode
from pipelines.extract.contract import load_contract
from pipelines.extract.files import LandingError
from pipelines.extract.landing import LandedBatch
from pipelines.quality.landed_rows import LandedPartition
from pipelines.quality.policy import TrendPolicy
from pipelines.quality.raw_suite import validate_landed
from pipelines.quality.referential import check_foreign_keys
from pipelines.quality.row_trend import months_without_file, row_count_trends
from pipelines.quality.suites import load_suites
from pipelines.warehouse import Warehouse
from pipelines.warehouse.connection import DuckDBWarehouse
from pipelines.warehouse.schema import ensure_layout
from tests.pipeline_runs import FIRST, SECOND, generate_small, query, run, scalar
from tests.test_landing import ORDERS_HEADER, RULES, land

HEADERS = {
    "orders": ORDERS_HEADER,
    "ad_spend": "date,channel,campaign_id,campaign_name,impressions,clicks,spend,currency\n",
    "order_items": "order_id,line_no,product_id,quantity,unit_price,unit_cost\n",
}
GOOD_ROWS = {
    "orders": [
        "o1,c1,2025-01-03 10:00:00,completed,USD,100.00,5\n",
        "o2,c2,2025-01-04 11:30:00,refunded,USD,40,0\n",
    ],
    "ad_spend": [
        "2025-01-02,email,c1,Winter,100,10,5.00,USD\n",
        "2025-01-02,paid_search,c2,Search,80,8,12.50,USD\n",
    ],
    "order_items": ["o1,1,p1,2,50.00,20.00\n", "o1,2,p2,1,10.00,4.00\n"],
}


@dataclass(frozen=True)
class BadRow:
    table: str
    row: str
    reason: str


BAD_ROWS = {
    "wrong_type": BadRow(
        "ad_spend",
        "2025-01-03,email,c1,Winter,many,10,5.00,USD\n",
        "impressions: expected a whole number, got 'many'",
    ),
    "bad_date": BadRow(
        "ad_spend",
        "2025-02-30,email,c1,Winter,100,10,5.00,USD\n",
        "date: expected a date YYYY-MM-DD, got '2025-02-30'",
    ),
    "bad_timestamp": BadRow(
        "orders",
        "o3,c3,03/01/2025 10:00,completed,USD,10,0\n",
        "ordered_at: expected a timestamp YYYY-MM-DD HH:MM:SS (UTC, or with an offset "
        "Z, +hh:mm), got '03/01/2025 10:00'",
    ),
    "future_date": BadRow(
        "orders",
        "o3,c3,2027-01-05 10:00:00,completed,USD,10,0\n",
        "ordered_at: in the future, got '2027-01-05 10:00:00'",
    ),
    "missing_key": BadRow(
        "orders",
        ",c3,2025-01-05 10:00:00,completed,USD,10,0\n",
        "order_id: missing value, expected text",
    ),
    "missing_key_part": BadRow(
        "order_items", "o1,,p3,1,5.00,1.00\n", "line_no: missing value, expected a whole number"
    ),
    "negative_amount": BadRow(
        "orders",
        "o3,c3,2025-01-05 10:00:00,completed,USD,-3,0\n",
        "gross_amount: expected a value >= 0, got '-3'",
    ),
    "below_minimum": BadRow(
        "order_items", "o1,3,p3,0,5.00,1.00\n", "quantity: expected a value >= 1, got '0'"
    ),
    "unknown_channel": BadRow(
        "ad_spend",
        "2025-01-03,carrier_pigeon,c1,Winter,100,10,5.00,USD\n",
        "channel: unmapped channel label 'carrier_pigeon', map it to a channel with a rule in "
        "pipeline.yaml channel_mapping.rules (or set unmapped: other)",
    ),
    "unknown_currency": BadRow(
        "orders",
        "o3,c3,2025-01-05 10:00:00,completed,EUR,10,0\n",
        "currency: currency not the reporting currency 'EUR', expected one of USD",
    ),
    "unknown_value": BadRow(
        "orders",
        "o3,c3,2025-01-05 10:00:00,shipped,USD,10,0\n",
        "status: unknown value 'shipped', expected one of completed, cancelled, refunded",
    ),
    "several_problems": BadRow(
        "orders",
        "o3,,2025-01-0x,completed,EUR,10,0\n",
        "customer_id: missing value, expected text; "
        "ordered_at: expected a timestamp YYYY-MM-DD HH:MM:SS (UTC, or with an offset "
        "Z, +hh:mm), got '2025-01-0x'; "
        "currency: currency not the reporting currency 'EUR', expected one of USD",
    ),
}


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    with DuckDBWarehouse(tmp_path / "w.duckdb", memory_limit="1GB") as wh:
        ensure_layout(wh)
        yield wh


def write_file(landing: Path, table: str, content: bytes) -> Path:
    path = landing / table / "2025-01.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("bad", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_bad_row_is_quarantined_with_its_reason_and_every_good_row_lands(
    warehouse: Warehouse, tmp_path: Path, bad: BadRow
):
    good = GOOD_ROWS[bad.table]
    # The bad row between the good ones: row numbers and order must survive the split.
    path = write_file(
        tmp_path, bad.table, (HEADERS[bad.table] + good[0] + bad.row + good[1]).encode()
    )
    [batch] = land(warehouse, tmp_path, bad.table)
    assert (batch.rows_read, batch.rows_landed, batch.rows_quarantined) == (3, 2, 1)
    assert warehouse.scalar(f"select count(*) from raw.{bad.table}") == len(good)
    quarantined = warehouse.query(
        "select table_name, source, source_row, reason, original_row from quality.quarantine"
    )
    assert quarantined[["table_name", "source", "source_row", "reason"]].values.tolist() == [
        [bad.table, str(path), 2, bad.reason]
    ]
    original = json.loads(quarantined["original_row"][0])
    assert list(original) == load_contract().table(bad.table).column_names


GOOD_ORDERS = ORDERS_HEADER + "".join(GOOD_ROWS["orders"])


def without_last_column(text: str) -> bytes:
    return "".join(line.rsplit(",", 1)[0] + "\n" for line in text.splitlines()).encode()


def with_extra_column(text: str, name: str) -> bytes:
    header, *rows = text.splitlines()
    return "".join(line + "\n" for line in [f"{header},{name}", *(f"{r},X" for r in rows)]).encode()


EXPECTED_ORDER_COLUMNS = (
    "expected the columns of 'orders': "
    "order_id, customer_id, ordered_at, status, currency, gross_amount, discount_amount"
)
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "empty_file": (
        b"",
        "the file is empty (0 bytes); expected at least the header line (an empty month)",
    ),
    "missing_column": (
        without_last_column(GOOD_ORDERS),
        "column 'discount_amount' is missing; " + EXPECTED_ORDER_COLUMNS,
    ),
    "extra_column": (
        with_extra_column(GOOD_ORDERS, "coupon"),
        "column 'coupon' is not in the contract; " + EXPECTED_ORDER_COLUMNS,
    ),
    "renamed_column": (
        GOOD_ORDERS.replace("gross_amount", "gross").encode(),
        "column 'gross_amount' is missing; column 'gross' is not in the contract; "
        + EXPECTED_ORDER_COLUMNS,
    ),
    "wrong_delimiter": (
        GOOD_ORDERS.replace(",", ";").encode(),
        "column 'order_id' is missing; column 'customer_id' is missing; "
        "column 'ordered_at' is missing; column 'status' is missing; "
        "column 'currency' is missing; column 'gross_amount' is missing; "
        "column 'discount_amount' is missing; column "
        "'order_id;customer_id;ordered_at;status;currency;gross_amount;discount_amount' "
        "is not in the contract; " + EXPECTED_ORDER_COLUMNS,
    ),
    "truncated_file": (
        (GOOD_ORDERS + "o3,c3,2025-01").encode(),
        "cannot be read as CSV for table 'orders': line 4: 3 fields, fewer than the 7 of the "
        "header; expected 7 (a line cut short, or a separator missing)",
    ),
    "wrong_encoding": (
        (GOOD_ORDERS + "o3,Caf\xe9,2025-01-05 10:00:00,completed,USD,10,0\n").encode("latin-1"),
        "cannot be read as CSV for table 'orders': line 4, column customer_id: byte 0xe9 at "
        "position 7 is not UTF-8; expected a UTF-8 encoded file (export it as UTF-8)",
    ),
}


@pytest.mark.parametrize(("content", "problem"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_fails_naming_file_and_column_and_lands_nothing(
    warehouse: Warehouse, tmp_path: Path, content: bytes, problem: str
):
    path = write_file(tmp_path, "orders", content)
    with pytest.raises(LandingError) as error:
        land(warehouse, tmp_path, "orders")
    assert str(error.value) == f"{path}: {problem}"
    assert warehouse.scalar("select count(*) from raw.orders") == 0
    assert warehouse.scalar("select count(*) from quality.quarantine") == 0


def test_a_missing_file_is_a_month_not_provided_not_an_error(warehouse: Warehouse, tmp_path):
    """No table is required: a month without a file lands no batch and logs nothing, so the
    month reads as "not provided" downstream (quality.landed_batches has no row for it)."""
    assert land(warehouse, tmp_path, "orders") == []
    assert warehouse.scalar("select count(*) from raw.orders") == 0
    assert warehouse.scalar("select count(*) from quality.landed_batches") == 0
    assert validate_landed(
        warehouse,
        load_contract().table("orders"),
        [],
        channels=RULES.channels,
        currencies=RULES.currencies,
        now=RULES.now,
    ).success


def partitions(batches: list[LandedBatch]) -> list[LandedPartition]:
    return [LandedPartition(batch.batch_id, batch.period) for batch in batches]


def landed_suite(warehouse: Warehouse, table_name: str, batches: list[LandedBatch]):
    """The table's suite on the rows just landed: the contract_suite check."""
    return validate_landed(
        warehouse,
        load_contract().table(table_name),
        partitions(batches),
        channels=RULES.channels,
        currencies=RULES.currencies,
        now=RULES.now,
    )


def test_a_duplicate_key_lands_and_the_blocking_suite_names_it(warehouse: Warehouse, tmp_path):
    write_file(tmp_path, "orders", (GOOD_ORDERS + GOOD_ROWS["orders"][0]).encode())
    [batch] = land(warehouse, tmp_path, "orders")
    assert (batch.rows_landed, batch.rows_quarantined) == (3, 0)
    result = landed_suite(warehouse, "orders", [batch])
    assert not result.success
    assert result.summary() == (
        "raw.orders failed 1 of 23 expectations on 3 rows: expect_compound_columns_to_be_unique "
        "on order_id, _batch_id (2 of 3 rows with a duplicated key)."
    )


def test_a_header_only_file_is_an_empty_month_the_suite_passes_and_the_trend_warns(
    warehouse: Warehouse, tmp_path
):
    """An empty month of a table in use is data: the blocking suite passes and the volume is
    judged by the warning-level row_count_trend, against the months before it."""
    december = tmp_path / "orders" / "2024-12.csv"
    december.parent.mkdir(parents=True)
    december.write_text(GOOD_ORDERS)
    land(warehouse, tmp_path, "orders", months=(date(2024, 12, 1),))
    write_file(tmp_path, "orders", ORDERS_HEADER.encode())
    [batch] = land(warehouse, tmp_path, "orders")
    assert (batch.rows_read, batch.rows_landed) == (0, 0)
    assert landed_suite(warehouse, "orders", [batch]).success
    [trend] = row_count_trends(
        warehouse, load_contract().table("orders"), partitions([batch]), TrendPolicy()
    )
    assert (trend.rows, trend.trailing, trend.within(3.0)) == (0, [2], False)


def test_a_month_without_a_file_after_earlier_files_is_reported_by_the_trend(
    warehouse: Warehouse, tmp_path
):
    orders = load_contract().table("orders")
    write_file(tmp_path, "orders", GOOD_ORDERS.encode())
    land(warehouse, tmp_path, "orders")
    months = [date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
    assert months_without_file(warehouse, orders, months) == months[2:]


def test_an_orphan_foreign_key_lands_and_referential_integrity_names_it(
    warehouse: Warehouse, tmp_path
):
    """Items of an order in no landed batch pass landing and the suite: catching them is the
    `referential_integrity` check's job (policy: blocking), not landing's."""
    write_file(tmp_path, "orders", GOOD_ORDERS.encode())
    items = HEADERS["order_items"] + "".join(GOOD_ROWS["order_items"]) + "o404,1,p1,1,5.00,1.00\n"
    write_file(tmp_path, "order_items", items.encode())
    land(warehouse, tmp_path, "orders")
    [batch] = land(warehouse, tmp_path, "order_items")
    assert (batch.rows_landed, batch.rows_quarantined) == (3, 0)
    assert landed_suite(warehouse, "order_items", [batch]).success
    foreign_keys = load_suites().of("order_items").foreign_keys
    [outcome] = check_foreign_keys(
        warehouse, load_contract().table("order_items"), foreign_keys, partitions([batch])
    )
    assert (outcome.orphans, outcome.checked) == (1, 3)
    assert [row["order_id"] for row in outcome.sample] == ["o404"]


# Through real Dagster runs -------------------------------------------------------------------


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad_input_classes") / "landing"
    generate_small(folder, last=SECOND)
    return folder


@pytest.fixture
def env(isolated_env: Path, landing: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCORECARD_LANDING", str(landing))
    return landing


def rewrite_csv(path: Path, change: Callable[[pd.DataFrame], pd.DataFrame]) -> bytes:
    """Rewrite a landing CSV through `change`; returns the original bytes to put back."""
    original = path.read_bytes()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame).to_csv(path, index=False)
    return original


@pytest.mark.integration
def test_a_fixed_file_re_landed_flows_to_staging_and_quarantine_keeps_its_history(env: Path):
    spend = env / "ad_spend" / "2025-01.csv"
    first_row = pd.read_csv(spend, dtype=str, keep_default_na=False).iloc[0]

    def negative_first_spend(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[0, "spend"] = "-12.50"
        return frame

    original = rewrite_csv(spend, negative_first_spend)
    try:
        assert run(FIRST, FIRST).exit_code is ExitCode.PUBLISHED
    finally:
        spend.write_bytes(original)
    key = [first_row["date"], first_row["channel"], first_row["campaign_id"]]
    in_staging = (
        "select spend from staging.stg_marketing__ad_spend "
        "where spend_date = cast(? as date) and channel = ? and campaign_id = ?"
    )
    assert query(in_staging, key).empty  # quarantined, so not in staging yet
    outcome = run(FIRST, FIRST)  # the fixed file lands again
    assert outcome.exit_code is ExitCode.PUBLISHED, outcome.problems
    assert query(in_staging, key)["spend"].astype(float).tolist() == [float(first_row["spend"])]
    history = query("select table_name, source_row, reason from quality.quarantine")
    assert history.values.tolist() == [
        ["ad_spend", 1, "spend: expected a value >= 0, got '-12.50'"]
    ]
    rows = len(original.decode().splitlines()) - 1
    assert scalar("select count(*) from raw.ad_spend where _period = ?", [FIRST]) == 2 * rows - 1
    assert scalar("select count(*) from scorecard.snapshots") == 2


@pytest.mark.integration
def test_anomaly_checks_are_recorded_in_a_real_run_and_a_warning_does_not_block(env: Path):
    spend = env / "ad_spend" / "2025-02.csv"

    def triple_spend(frame: pd.DataFrame) -> pd.DataFrame:
        frame["spend"] = (frame["spend"].astype(float) * 3).map("{:.2f}".format)
        return frame

    original = rewrite_csv(spend, triple_spend)
    try:
        outcome = run(FIRST, SECOND)
    finally:
        spend.write_bytes(original)
    assert outcome.exit_code is ExitCode.PUBLISHED, outcome.problems
    verdicts = query(
        "select asset, check_name, severity, passed, observed, details from quality.check_results "
        "where check_name in ('volume_anomaly', 'kpi_movement', 'freshness') order by asset"
    ).set_index(["asset", "check_name"])
    assert set(verdicts.index) == {
        ("raw.ad_spend", "volume_anomaly"),
        ("raw.orders", "volume_anomaly"),
        ("raw.leads", "volume_anomaly"),
        ("marts.fct_kpi", "kpi_movement"),
        *(("raw." + t, "freshness") for t in ("touchpoints", "ad_spend", "orders", "leads")),
    }
    assert set(verdicts["severity"]) == {"warning"}
    spend_check = verdicts.loc[("raw.ad_spend", "volume_anomaly")]
    assert not spend_check["passed"]
    assert spend_check["observed"].startswith("2025-02 spend ")
    assert "is above mean x 2 (trailing mean" in spend_check["observed"]
    flagged = json.loads(spend_check["details"])["flagged"]
    assert [(f["period"], f["series"], f["trailing_periods"]) for f in flagged] == [
        ("2025-02", "spend", 1)
    ]
    assert verdicts.loc[("raw.orders", "volume_anomaly"), "passed"]
    open_month = f"{datetime.now(UTC):%Y-%m}"
    assert verdicts.loc[("raw.orders", "freshness"), "observed"] == (
        f"the run does not include the open month {open_month}"
    )
    # The snapshot ran after the checks: its summary carries the warning.
    summaries = query("select checks_summary from scorecard.snapshots")["checks_summary"]
    assert len(summaries) == 2
    assert all("raw.ad_spend: volume_anomaly (2025-02 spend" in s for s in summaries)
