"""A month of generated touchpoints as one DuckDB select (files are written set-based by COPY,
never row by row), shared by the landing and validation benchmarks."""

from __future__ import annotations

from pipelines.config import load_pipeline_config
from pipelines.warehouse.connection import checked_identifier

TOUCH_TYPES = ["impression", "click", "visit", "email_open", "email_click", "call"]
CUSTOMERS_PER_TOUCH = 20  # one customer per this many touches; every 10th touch names one
# Rows broken on purpose when bad rows are asked for, one rule each: (every nth row, column,
# value written instead). About 3.4% of rows in all.
BROKEN_EVERY = {
    97: ("visitor_id", "''"),
    89: ("occurred_at", "'2025-03-0x'"),
    83: ("touch_type", "'tap'"),
}


def touchpoints_select(rows: int, *, with_bad_rows: bool = False) -> str:
    """March 2025's touchpoints: `rows` of them, all valid unless `with_bad_rows`."""
    channels = [checked_identifier(c) for c in load_pipeline_config().channels]
    customers = max(rows // CUSTOMERS_PER_TOUCH, 1)
    seconds = 31 * 86400
    values = {
        "touchpoint_id": "'tp_' || lpad(cast(i as varchar), 10, '0')",
        "visitor_id": f"'vis_' || cast(i % {max(rows // 3, 1)} as varchar)",
        "customer_id": f"case when i % 10 = 0 then 'cus_' || cast(i % {customers} as varchar) end",
        "occurred_at": (
            f"timestamp '2025-03-01' + to_seconds(cast(hash(i, 't') % {seconds} as bigint))"
        ),
        "channel": f"{channels!r}[cast(1 + hash(i, 'c') % {len(channels)} as bigint)]",
        "campaign_id": "'cmp_' || cast(hash(i, 'k') % 40 as varchar)",
        "touch_type": f"{TOUCH_TYPES!r}[cast(1 + hash(i, 'y') % 6 as bigint)]",
    }
    if with_bad_rows:
        for every, (column, broken) in BROKEN_EVERY.items():
            valid = f"cast({values[column]} as varchar)"
            values[column] = f"case when i % {every} = 1 then {broken} else {valid} end"
    return (
        "select "
        + ", ".join(f"{value} as {name}" for name, value in values.items())
        + f" from range({rows}) as t(i)"
    )
