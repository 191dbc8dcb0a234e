"""Quarters and years from months: KPI values re-aggregated, never averaged where parts exist.

Sums (revenue, orders, ...) add up; a ratio is recomputed from the months' summed numerators and
denominators (a quarter's win rate is its won leads over its closed leads, not the mean of three
monthly rates). A value without parts that is neither a count nor an amount (a median, a rate
entered by hand) cannot be re-aggregated: it is the mean of its months. marts.fct_kpi_rollups
applies the same rules in the warehouse."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.scoring.kpi_catalogue import Unit

KEY = ["entity_type", "entity_id", "kpi"]
ADDITIVE_UNITS = {Unit.COUNT.value, Unit.CURRENCY.value}

AGGREGATED_COLUMNS = [*KEY, "value", "numerator", "denominator", "months"]


def aggregate_kpis(monthly: pd.DataFrame) -> pd.DataFrame:
    """One row per entity x KPI over all months of `monthly` (period, entity_type, entity_id, kpi,
    value, numerator, denominator, unit): the value, its summed numerator and denominator (ratios
    only) and how many months had a row.

    A KPI with a denominator in any month is a ratio: scale x sum(numerator) / sum(denominator)
    over the months that have both, NULL when that denominator is 0; its scale (x100 for a rate
    per 100 orders, x1000 for CPM) is read off the months' own values. Otherwise counts and
    amounts add up and other values are averaged (NULL when every month's is)."""
    frame = monthly.assign(
        ratio=monthly.groupby(KEY)["denominator"].transform(lambda d: d.notna().any())
    )
    both = frame["numerator"].notna() & frame["denominator"].notna()
    frame = frame.assign(
        numerator=frame["numerator"].where(both),
        denominator=frame["denominator"].where(both),
        scale=(frame["value"] * frame["denominator"] / frame["numerator"]).where(
            both & (frame["numerator"] != 0) & (frame["denominator"] != 0)
        ),
    )
    grouped = frame.groupby(KEY, as_index=False).agg(
        summed=("value", lambda v: v.sum(min_count=1)),
        mean=("value", "mean"),
        numerator=("numerator", lambda v: v.sum(min_count=1)),
        denominator=("denominator", lambda v: v.sum(min_count=1)),
        scale=("scale", "median"),
        ratio=("ratio", "first"),
        unit=("unit", "first"),
        months=("period", "nunique"),
    )
    # Scales are powers of ten; the months' values may be rounded.
    scale = np.power(10.0, np.round(np.log10(grouped["scale"].fillna(1.0))))
    denominator = grouped["denominator"].where(grouped["denominator"] != 0)
    recomputed = scale * grouped["numerator"] / denominator
    additive = grouped["unit"].isin(ADDITIVE_UNITS)
    grouped["value"] = np.where(
        grouped["ratio"], recomputed, np.where(additive, grouped["summed"], grouped["mean"])
    )
    grouped["numerator"] = grouped["numerator"].where(grouped["ratio"])
    grouped["denominator"] = grouped["denominator"].where(grouped["ratio"])
    return grouped[AGGREGATED_COLUMNS].sort_values(KEY).reset_index(drop=True)
