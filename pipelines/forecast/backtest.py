"""How good the forecast is: every closed month with enough history before it is forecast again
as of its 7th, 14th and 21st day from the data up to that day, and compared with its final value
(`scorecard backtest-forecast`)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from pipelines.forecast.projection import days_in, project, value_at, values_by_day
from pipelines.scoring.kpi_catalogue import KpiSpec

AS_OF_DAYS = (7, 14, 21)
COLUMNS = ["kpi", "month", "as_of_day", "forecast", "lower", "upper", "actual", "covered", "ape"]


def backtest(days: pd.DataFrame, kpis: dict[str, KpiSpec], months: list[date]) -> pd.DataFrame:
    """One row per KPI, month and as-of day with an interval: the forecast, its interval, the
    final value, whether the interval held it and the absolute percentage error."""
    values = values_by_day(days, kpis)
    rows = []
    for month in months:
        for name, spec in kpis.items():
            actual = value_at(values[values["kpi"] == name], month, days_in(month))
            for day in AS_OF_DAYS:
                forecast = project(values, name, spec, month, day, None)
                if actual is None or forecast.lower is None or forecast.forecast_value is None:
                    continue
                rows.append(
                    {
                        "kpi": name,
                        "month": month,
                        "as_of_day": day,
                        "forecast": forecast.forecast_value,
                        "lower": forecast.lower,
                        "upper": forecast.upper,
                        "actual": actual,
                        "covered": forecast.lower <= actual <= forecast.upper,
                        "ape": abs(forecast.forecast_value - actual) / abs(actual)
                        if actual
                        else np.nan,
                    }
                )
    return pd.DataFrame(
        rows,
        columns=[
            "kpi",
            "month",
            "as_of_day",
            "forecast",
            "lower",
            "upper",
            "actual",
            "covered",
            "ape",
        ],
    )


def coverage_by_kpi(results: pd.DataFrame) -> pd.DataFrame:
    """Per KPI and as-of day: forecasts made, the interval's coverage and the mean absolute
    percentage error."""
    return (
        results.groupby(["kpi", "as_of_day"])
        .agg(forecasts=("covered", "size"), coverage=("covered", "mean"), mape=("ape", "mean"))
        .reset_index()
    )
