"""Quarters and years from months: KPI values re-aggregated, never averaged.

Sums (revenue, orders, ...) add up; a ratio is recomputed from the months' summed numerators and
denominators (a quarter's win rate is its won leads over its closed leads, not the mean of three
monthly rates)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.scoring.kpi_catalogue import Unit

KEY = ["entity_type", "entity_id", "kpi"]
UNIT_SCALE = {Unit.PER_100_ORDERS.value: 100.0}  # value = scale x numerator / denominator

AGGREGATED_COLUMNS = [*KEY, "value", "numerator", "denominator", "months"]


def aggregate_kpis(monthly: pd.DataFrame) -> pd.DataFrame:
    """One row per entity x KPI over all months of `monthly` (period, entity_type, entity_id, kpi,
    value, numerator, denominator, unit): the value, its summed numerator and denominator (ratios
    only) and how many months had a row.

    A KPI with a denominator in any month is a ratio: scale x sum(numerator) / sum(denominator)
    over the months that have both, NULL when that denominator is 0. Otherwise the values add up
    (NULL when every month's is)."""
    frame = monthly.assign(
        ratio=monthly.groupby(KEY)["denominator"].transform(lambda d: d.notna().any())
    )
    both = frame["numerator"].notna() & frame["denominator"].notna()
    frame = frame.assign(
        numerator=frame["numerator"].where(both), denominator=frame["denominator"].where(both)
    )
    grouped = frame.groupby(KEY, as_index=False).agg(
        summed=("value", lambda v: v.sum(min_count=1)),
        numerator=("numerator", lambda v: v.sum(min_count=1)),
        denominator=("denominator", lambda v: v.sum(min_count=1)),
        ratio=("ratio", "first"),
        unit=("unit", "first"),
        months=("period", "nunique"),
    )
    scale = grouped["unit"].map(UNIT_SCALE).fillna(1.0)
    denominator = grouped["denominator"].where(grouped["denominator"] != 0)
    recomputed = scale * grouped["numerator"] / denominator
    grouped["value"] = np.where(grouped["ratio"], recomputed, grouped["summed"])
    grouped["numerator"] = grouped["numerator"].where(grouped["ratio"])
    grouped["denominator"] = grouped["denominator"].where(grouped["ratio"])
    return grouped[AGGREGATED_COLUMNS].sort_values(KEY).reset_index(drop=True)
