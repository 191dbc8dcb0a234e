"""The rows of `scorecard.kpi_forecasts` for an open month: every company KPI, forecast or with
the reason it is not."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import pandas as pd

from pipelines.forecast.daily import available_measures, daily_measures
from pipelines.forecast.projection import (
    HISTORY_MONTHS,
    INTERVAL_LEVEL,
    days_in,
    forecastable,
    project,
    values_by_day,
)
from pipelines.periods import add_months
from pipelines.scoring.kpi_catalogue import kpi_catalogue
from pipelines.warehouse import Warehouse

FORECAST_COLUMNS = [
    "period", "as_of_date", "days_elapsed", "days_in_period", "entity_type", "entity_id", "kpi",
    "value_to_date", "forecast_value", "lower", "upper", "interval_level", "target",
    "probability_reaching_target", "method", "reason",
]  # fmt: skip


def company_forecasts(warehouse: Warehouse, month: date, targets: dict[str, float]) -> pd.DataFrame:
    """Each company KPI's forecast for `month` as of its latest day with data; `targets` by
    KPI (the scoring's)."""
    kpis = kpi_catalogue()
    reasons = forecastable(kpis, available_measures(warehouse))
    days = daily_measures(warehouse, add_months(month, -HISTORY_MONTHS), add_months(month, 1))
    in_month = [day for day in days["day"] if day >= month] if not days.empty else []
    as_of = max(in_month) if in_month else None
    tracked = {name: kpis[name] for name, reason in reasons.items() if reason is None}
    values = values_by_day(days, tracked) if as_of else None
    rows = []
    for name, reason in reasons.items():
        target = targets.get(name)
        if reason is None and as_of is not None:
            forecast = asdict(project(values, name, kpis[name], month, as_of.day, target))
        else:
            forecast = {
                "kpi": name,
                "target": target,
                "reason": reason or "no data in the month yet",
            }
        rows.append(
            {
                **forecast,
                "period": month,
                "as_of_date": as_of,
                "days_elapsed": as_of.day if as_of else 0,
                "days_in_period": days_in(month),
                "entity_type": "company",
                "entity_id": "company",
                "interval_level": INTERVAL_LEVEL,
            }
        )
    return pd.DataFrame(rows).reindex(columns=FORECAST_COLUMNS)
