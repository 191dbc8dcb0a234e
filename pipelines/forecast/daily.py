"""The company's additive measures by day, read set-based from the warehouse: what a month-to-date
value is made of. A KPI is forecast when its numerator and denominator use only these."""

from __future__ import annotations

from datetime import date

import pandas as pd

from pipelines.warehouse import Warehouse

# measure -> (relation, day column, value expression): fixed SQL, no user input.
DAILY_MEASURES: dict[str, tuple[str, str, str]] = {
    "revenue": ("intermediate.int_orders_valued", "ordered_at", "sum(net_revenue)"),
    "orders": ("intermediate.int_orders_valued", "ordered_at", "count(*)"),
    "spend": ("staging.stg_marketing__ad_spend", "spend_date", "sum(spend)"),
    "impressions": ("staging.stg_marketing__ad_spend", "spend_date", "sum(impressions)"),
    "clicks": ("staging.stg_marketing__ad_spend", "spend_date", "sum(clicks)"),
    "leads": ("staging.stg_crm__leads", "created_at", "count(*)"),
}


def available_measures(warehouse: Warehouse) -> list[str]:
    """The measures whose relation the warehouse holds (a source never provided has none)."""
    present = {
        f"{row.schemaname}.{row.name}"
        for row in warehouse.rows(
            "select schemaname, tablename as name from pg_catalog.pg_tables "
            "union all select schemaname, viewname from pg_catalog.pg_views"
        )
    }
    return [name for name, (relation, _, _) in DAILY_MEASURES.items() if relation in present]


def daily_measures(warehouse: Warehouse, first: date, end: date) -> pd.DataFrame:
    """One row per day in [first, end) with any data: day, then one column per measure (0 on a
    day without any)."""
    measures = available_measures(warehouse)
    if not measures:
        return pd.DataFrame(columns=["day"])
    parts = "\nunion all\n".join(
        f"select cast({day} as date) as day, '{name}' as measure, "
        f"cast({value} as double precision) as value from {relation} "
        f"where {day} >= ? and {day} < ? group by cast({day} as date)"
        for name, (relation, day, value) in DAILY_MEASURES.items()
        if name in measures
    )
    long = warehouse.query(parts, [first, end] * len(measures))
    wide = long.pivot_table(index="day", columns="measure", values="value", aggfunc="sum")
    wide = wide.reindex(columns=measures).fillna(0.0).reset_index()
    wide["day"] = pd.to_datetime(wide["day"]).dt.date
    return wide
