"""A large generated month of landing files for `make bench-scale`: touchpoints, orders, order
items, customers, leads, reps, teams and ad spend, each written by one DuckDB COPY to Parquet
(set-based, never row by row) at <landing>/<table>/<YYYY-MM>.parquet, as a source would send them.

Ids are global across months (visitors recur, orders name customers of earlier months), so that
a month run on a long history does the identity and dedup work a real one does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from pipelines.config import load_pipeline_config
from pipelines.warehouse.connection import checked_identifier

TOUCH_TYPES = ["impression", "click", "visit", "email_open", "email_click", "call"]
LEAD_STATUSES = ["open", "open", "won", "lost", "disqualified"]
REPS = 200
TEAMS = 20
CAMPAIGNS_PER_CHANNEL = 8


@dataclass(frozen=True)
class MonthSize:
    touchpoints: int
    orders: int
    leads: int

    @property
    def customers(self) -> int:
        """New customers per month: most orders come from customers seen before."""
        return max(self.orders // 3, 1)

    @property
    def visitors(self) -> int:
        return max(self.touchpoints // 3, 1)


def write_month(landing: Path, month: date, index: int, size: MonthSize) -> dict[str, int]:
    """The month's files (index: the month's position in the generated history, from 0); the
    rows written per table."""
    channels = [checked_identifier(c) for c in load_pipeline_config().channels]
    paid = [checked_identifier(c) for c, ch in load_pipeline_config().channels.items() if ch.paid]
    start = f"timestamp '{month}'"
    seconds = f"(epoch({start} + interval 1 month) - epoch({start}))"
    known_customers = (index + 1) * size.customers  # customers created up to this month
    tables = {
        "customers": f"""
            select 'cus_' || (i + {index * size.customers}) as customer_id,
                {start} + to_seconds(cast(hash(i, 'c') % {seconds} as bigint)) as created_at,
                null::varchar as email, 'region_' || (i % 7) as region,
                'rep_' || (i % {REPS}) as owner_rep_id
            from range({size.customers}) as t(i)""",
        "orders": f"""
            select 'ord_{index}_' || i as order_id,
                'cus_' || (hash(i, 'o') % {known_customers}) as customer_id,
                {start} + to_seconds(cast(hash(i, 't') % {seconds} as bigint)) as ordered_at,
                case when i % 20 = 0 then 'cancelled' else 'completed' end as status,
                'USD' as currency,
                cast(20 + hash(i, 'a') % 20000 / 100.0 as decimal(18, 2)) as gross_amount,
                cast(hash(i, 'd') % 500 / 100.0 as decimal(18, 2)) as discount_amount
            from range({size.orders}) as t(i)""",
        "order_items": f"""
            select 'ord_{index}_' || i as order_id, 1 as line_no,
                'sku_' || (i % 500) as product_id, 1 as quantity,
                cast(20 + hash(i, 'a') % 20000 / 100.0 as decimal(18, 2)) as unit_price,
                cast(10 + hash(i, 'a') % 10000 / 100.0 as decimal(18, 2)) as unit_cost
            from range({size.orders}) as t(i)""",
        "leads": f"""
            select 'lead_{index}_' || i as lead_id,
                {start} + to_seconds(cast(hash(i, 'l') % {seconds} as bigint)) as created_at,
                'vis_' || (hash(i, 'v') % {size.visitors * (index + 2)}) as visitor_id,
                null::varchar as customer_id,
                {channels!r}[cast(1 + hash(i, 'ch') % {len(channels)} as bigint)] as origin_channel,
                null::varchar as campaign_id,
                null::timestamp as mql_at, null::timestamp as sql_at,
                'rep_' || (i % {REPS}) as rep_id,
                {LEAD_STATUSES!r}[cast(1 + hash(i, 's') % {len(LEAD_STATUSES)} as bigint)]
                    as status,
                null::timestamp as closed_at, null::decimal(18, 2) as deal_value
            from range({size.leads}) as t(i)""",
        "reps": f"""
            select 'rep_' || i as rep_id, 'Rep ' || i as rep_name,
                'team_' || (i % {TEAMS}) as team_id, 'ae' as role,
                date '2023-01-01' as hired_at, null::date as left_at
            from range({REPS}) as t(i)""",
        "teams": f"""
            select 'team_' || i as team_id, 'Team ' || i as team_name,
                null::varchar as parent_team_id, 'mature' as stage
            from range({TEAMS}) as t(i)""",
        "ad_spend": f"""
            select cast({start} as date) + cast(d as integer) as date, channel,
                channel || '_' || k as campaign_id, null::varchar as campaign_name,
                1000 + hash(d, k) % 9000 as impressions, 10 + hash(d, k) % 900 as clicks,
                cast(50 + hash(d, k, channel) % 50000 / 100.0 as decimal(18, 2)) as spend,
                'USD' as currency
            from range(28) as days(d), range({CAMPAIGNS_PER_CHANNEL}) as c(k),
                unnest({paid!r}) as p(channel)""",
    }
    # Half of a month's visitors were seen the month before; a tenth of touches name the
    # visitor's customer (a login), which links the visitor's other touches to that customer.
    visitor = f"(i % {size.visitors} + {index * size.visitors // 2})"
    tables["touchpoints"] = f"""
        select 'tp_{index}_' || i as touchpoint_id, 'vis_' || {visitor} as visitor_id,
            case when i % 10 = 0 then 'cus_' || ({visitor} % {known_customers}) end as customer_id,
            {start} + to_seconds(cast(hash(i, 't') % {seconds} as bigint)) as occurred_at,
            {channels!r}[cast(1 + hash(i, 'c') % {len(channels)} as bigint)] as channel,
            'cmp_' || (hash(i, 'k') % 40) as campaign_id,
            {TOUCH_TYPES!r}[cast(1 + hash(i, 'y') % 6 as bigint)] as touch_type
        from range({size.touchpoints}) as t(i)"""
    if not size.touchpoints:
        del tables["touchpoints"]
    written = {}
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        for table, select in tables.items():
            folder = landing / table
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{month:%Y-%m}.parquet"
            connection.execute(f"copy ({select}) to '{target}' (format parquet)")
            written[table] = connection.execute(
                "select count(*) from read_parquet(?)", [str(target)]
            ).fetchone()[0]
    return written
