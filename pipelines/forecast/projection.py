"""A KPI's end-of-month value projected from its month-to-date value.

For every month, each forecast KPI is evaluated on the measures summed from the month's first
day to each day (its numerator and denominator from the KPI catalogue, so a ratio is the ratio
of the summed parts). The projection of the open month at day d is its value to date times the
median, over up to 12 past months, of full-month value / value at the same day d; the 80%
interval is the 10th and 90th percentiles of those past ratios applied the same way, and the
probability of reaching the target the share of past ratios under which it would be reached.
With fewer than 3 past months there is no interval: a count or amount is extended pro rata by
days, a ratio kept as it stands, and the row says so."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from pipelines.periods import add_months
from pipelines.scoring.kpi_catalogue import Direction, EntityType, KpiSpec

HISTORY_MONTHS = 12
MIN_HISTORY = 3
INTERVAL_LEVEL = 0.8
# Words of a numerator or denominator that are SQL, not measures.
SQL_WORDS = {"nullif", "coalesce", "greatest", "least", "abs", "cast", "as", "double", "precision"}


@dataclass(frozen=True)
class Forecast:
    kpi: str
    value_to_date: float | None
    forecast_value: float | None
    lower: float | None
    upper: float | None
    target: float | None
    probability_reaching_target: float | None
    method: str | None
    reason: str | None


def days_in(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def measures_of(spec: KpiSpec) -> set[str]:
    """The measure names a KPI's numerator and denominator use."""
    text = f"{spec.numerator} {spec.denominator or ''}"
    return {word for word in re.findall(r"[A-Za-z_]\w*", text) if word.lower() not in SQL_WORDS}


def forecastable(kpis: dict[str, KpiSpec], measures: list[str]) -> dict[str, str | None]:
    """Per company KPI: None when it can be forecast, else why not."""
    reasons = {}
    for name, spec in kpis.items():
        if EntityType.COMPANY not in spec.entity_types:
            continue
        missing = sorted(measures_of(spec) - set(measures))
        reasons[name] = None if not missing else f"not tracked by day: {', '.join(missing)}"
    return reasons


def values_by_day(days: pd.DataFrame, kpis: dict[str, KpiSpec]) -> pd.DataFrame:
    """Each KPI's value from its month's first day to each day: month, day (1..), kpi, value.
    `days` has one row per day with data (column day, then one column per measure)."""
    measures = [column for column in days.columns if column != "day"]
    if days.empty or not kpis:
        return pd.DataFrame(columns=["month", "day", "kpi", "value"])
    frame = days.assign(month=[date(d.year, d.month, 1) for d in days["day"]])
    grid = []
    for month in sorted(set(frame["month"])):
        calendar_days = pd.DataFrame(
            {"day": [date(month.year, month.month, n) for n in range(1, days_in(month) + 1)]}
        )
        month_days = calendar_days.merge(frame[frame["month"] == month], on="day", how="left")
        cumulative = month_days[measures].fillna(0.0).cumsum()
        cumulative.insert(0, "day", range(1, days_in(month) + 1))
        cumulative.insert(0, "month", month)
        grid.append(cumulative)
    cumulative = pd.concat(grid, ignore_index=True)
    selects = [
        f"select month, day, '{name}' as kpi, "
        f"cast({spec.scale} as double) * cast(({spec.numerator}) as double) "
        + (f"/ nullif(cast(({spec.denominator}) as double), 0)" if spec.denominator else "")
        + " as value from cumulative"
        for name, spec in kpis.items()
    ]
    with duckdb.connect() as local:
        local.register("cumulative", cumulative)
        values = local.execute("\nunion all\n".join(selects)).df()
    values["month"] = pd.to_datetime(values["month"]).dt.date
    return values


def project(
    values: pd.DataFrame,
    kpi: str,
    spec: KpiSpec,
    month: date,
    day: int,
    target: float | None,
) -> Forecast:
    """The KPI's forecast for `month` as of its `day`-th day, from `values` (values_by_day);
    only months before `month` count as history."""
    own = values[values["kpi"] == kpi]
    today = value_at(own, month, day)
    if today is None:
        return Forecast(kpi, None, None, None, None, target, None, None, "no value to date")
    ratios = []
    for back in range(1, HISTORY_MONTHS + 1):
        past = add_months(month, -back)
        full = value_at(own, past, days_in(past))
        partial = value_at(own, past, min(day, days_in(past)))
        if full is not None and partial:
            ratios.append(full / partial)
    if len(ratios) < MIN_HISTORY:
        additive = spec.denominator is None
        value = today * days_in(month) / day if additive else today
        method = "pro rata by days" if additive else "value to date"
        reason = f"no interval: {len(ratios)} past month(s) with data, {MIN_HISTORY} needed"
        return Forecast(kpi, today, value, None, None, target, None, method, reason)
    outcomes = np.sort(today * np.array(ratios))
    low, high = np.quantile(outcomes, [(1 - INTERVAL_LEVEL) / 2, (1 + INTERVAL_LEVEL) / 2])
    probability = None
    if target is not None:
        higher = spec.direction is Direction.HIGHER
        probability = float(np.mean(outcomes >= target if higher else outcomes <= target))
    return Forecast(
        kpi,
        today,
        float(today * np.median(ratios)),
        float(low),
        float(high),
        target,
        probability,
        f"same {day} days of {len(ratios)} past months",
        None,
    )


def value_at(values: pd.DataFrame, month: date, day: int) -> float | None:
    """A KPI's value (rows of one KPI of values_by_day) from `month`'s first day to its `day`-th."""
    row = values[(values["month"] == month) & (values["day"] == day)]
    if row.empty or pd.isna(row["value"].iloc[0]):
        return None
    return float(row["value"].iloc[0])
