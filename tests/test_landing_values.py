"""Values that used to land wrong: timestamps with a UTC offset (converted, whatever the host's
zone), integers with a fraction, control characters and over-long text (quarantined), and PII in
quarantine reasons (masked). On both targets: a DuckDB file and the local PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.extract.contract import MAX_TEXT_LENGTH
from pipelines.extract.validation import EMAIL_SHAPE, PHONE_SHAPE
from pipelines.warehouse import Warehouse
from tests.test_landing import ORDERS_HEADER, land, write

AD_SPEND_HEADER = "date,channel,campaign_id,campaign_name,impressions,clicks,spend,currency\n"


@pytest.fixture
def warehouse(landing_warehouse: Warehouse) -> Warehouse:
    return landing_warehouse


def reasons(warehouse: Warehouse) -> dict[int, str]:
    rows = warehouse.rows("select source_row, reason from quality.quarantine order by source_row")
    return {row.source_row: row.reason for row in rows}


def test_offsets_are_converted_to_utc_and_naive_values_are_utc(warehouse, tmp_path):
    stamps = {
        "o1": ("2025-01-15 10:00:00", datetime(2025, 1, 15, 10, 0)),
        "o2": ("2025-01-15T10:00:00Z", datetime(2025, 1, 15, 10, 0)),
        "o3": ("2025-01-15 10:00:00+05:30", datetime(2025, 1, 15, 4, 30)),
        "o4": ("2025-01-15 10:00:00+0530", datetime(2025, 1, 15, 4, 30)),
        # late on the 31st in New York is February in UTC: the month follows the conversion
        "o5": ("2025-01-31 23:30-05:00", datetime(2025, 2, 1, 4, 30)),
        "o6": ("2025-01-15 10:00:00-05", datetime(2025, 1, 15, 15, 0)),
    }
    rows = "".join(f"{key},c1,{text},completed,USD,1,0\n" for key, (text, _) in stamps.items())
    write(tmp_path, "orders", ORDERS_HEADER + rows)
    [batch] = land(warehouse, tmp_path, "orders")
    assert batch.rows_quarantined == 0, reasons(warehouse)
    landed = {row.order_id: row.ordered_at for row in warehouse.rows("select * from raw.orders")}
    assert landed == {key: expected for key, (_, expected) in stamps.items()}


# A zone-aware Parquet column read on a host in New York: the value is an instant, so it lands as
# the same UTC time whatever TZ says.
ZONED_PARQUET_RUN = """
import json, sys
from pathlib import Path
from pipelines.warehouse.connection import DuckDBWarehouse
from pipelines.warehouse.schema import ensure_layout
from tests.test_landing import land

folder = Path(sys.argv[1])
with DuckDBWarehouse(folder / "w.duckdb", memory_limit="1GB") as wh:
    ensure_layout(wh)
    land(wh, folder / "landing", "orders")
    rows = wh.rows("select order_id, ordered_at from raw.orders order by order_id")
print(json.dumps([[row.order_id, row.ordered_at.isoformat()] for row in rows]))
"""


def test_zone_aware_parquet_lands_as_utc_on_a_host_in_new_york(tmp_path):
    folder = tmp_path / "landing" / "orders"
    folder.mkdir(parents=True)
    instant = pa.array([datetime(2025, 1, 31, 23, 30)], pa.timestamp("us", tz="UTC"))
    text = pa.array(["o1"])
    table = pa.table(
        {
            "order_id": text,
            "customer_id": pa.array(["c1"]),
            "ordered_at": instant,
            "status": pa.array(["completed"]),
            "currency": pa.array(["USD"]),
            "gross_amount": pa.array(["1"]),
            "discount_amount": pa.array(["0"]),
        }
    )
    pq.write_table(table, folder / "2025-01.parquet")
    environment = {**os.environ, "TZ": "America/New_York"}
    done = subprocess.run(
        [sys.executable, "-c", ZONED_PARQUET_RUN, str(tmp_path)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [["o1", "2025-01-31T23:30:00"]]


def test_integers_with_a_fraction_are_quarantined_not_rounded(warehouse, tmp_path):
    write(
        tmp_path,
        "ad_spend",
        AD_SPEND_HEADER
        + "2025-01-02,direct,k1,,100,3,10,USD\n"
        + "2025-01-02,email,k1,,100,3.0,10,USD\n"  # a whole number written with .0: kept
        + "2025-01-03,direct,k1,,1.5,3,10,USD\n"
        + "2025-01-04,email,k1,,100,0.4,10,USD\n",
    )
    [batch] = land(warehouse, tmp_path, "ad_spend")
    assert (batch.rows_landed, batch.rows_quarantined) == (2, 2)
    assert sorted(row.clicks for row in warehouse.rows("select clicks from raw.ad_spend")) == [3, 3]
    assert reasons(warehouse) == {
        3: "impressions: expected a whole number, got '1.5'",
        4: "clicks: expected a whole number, got '0.4'",
    }


def test_control_characters_and_over_long_text_are_quarantined(warehouse, tmp_path):
    long_text = "x" * (MAX_TEXT_LENGTH + 1)
    write(
        tmp_path,
        "orders",
        ORDERS_HEADER
        + "o1,c1,2025-01-15 10:00:00,completed,USD,1,0\n"
        + "o2,c\x002,2025-01-15 10:00:00,completed,USD,1,0\n"
        + "o3,c\x073,2025-01-15 10:00:00,completed,USD,1,0\n"
        + f"o4,{long_text},2025-01-15 10:00:00,completed,USD,1,0\n",
    )
    [batch] = land(warehouse, tmp_path, "orders")
    assert (batch.rows_landed, batch.rows_quarantined) == (1, 3)
    assert reasons(warehouse) == {
        2: "customer_id: control character (such as NUL) in the text, expected plain text",
        3: "customer_id: control character (such as NUL) in the text, expected plain text",
        4: f"customer_id: {MAX_TEXT_LENGTH + 1} characters, expected at most {MAX_TEXT_LENGTH}",
    }


def test_quarantine_reasons_never_echo_personal_data(warehouse, tmp_path):
    write(
        tmp_path,
        "orders",
        ORDERS_HEADER
        # an email and a phone number shifted into the timestamp column
        + "o1,c1,jane.doe@example.com,completed,USD,1,0\n"
        + "o2,c2,+44 20 7946 0958,completed,USD,1,0\n",
    )
    write(
        tmp_path,
        "customers",
        "customer_id,created_at,email,region,owner_rep_id\n"
        + f"c1,2025-01-02 10:00:00,{'j' * (MAX_TEXT_LENGTH + 1)}@example.com,emea,\n",
    )
    land(warehouse, tmp_path, "orders")
    land(warehouse, tmp_path, "customers")
    text = " ".join(row.reason for row in warehouse.rows("select reason from quality.quarantine"))
    assert "example.com" not in text and "7946" not in text
    assert "<email>" in text and "<phone>" in text
    assert "email: " in text  # the PII column's problem is named, its value not shown


def test_staging_masks_the_shapes_quarantine_reasons_mask():
    """dbt's mask_pii_shapes (free text on its way to the marts) and the quarantine reasons
    look for the same shapes."""
    macro = (Path(__file__).parent.parent / "dbt_project/macros/mask_pii_shapes.sql").read_text()
    assert f"'{EMAIL_SHAPE}'" in macro and f"'{PHONE_SHAPE}'" in macro
