"""Anomaly and freshness checks: a period's figures against its trailing periods, and whether the
open month's data is recent. Figures are computed in SQL in the warehouse; verdicts carry them.

- volume_anomaly: spend (ad_spend), orders and leads per period vs the mean of the trailing
  `trends.trailing_periods` periods, flagged below mean / volume_factor or above mean x factor.
- kpi_movement: the company KPIs in `trends.kpis` (marts.fct_kpi) the same way, kpi_movement_factor.
- freshness: when the run includes the open (current calendar) month, the newest landed row of
  each `freshness.tables` table for that month is at most `max_lag_days` old."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from pipelines.extract.contract import ColumnType, Table
from pipelines.periods import add_months, month_label
from pipelines.quality.check_results import CheckVerdict
from pipelines.quality.policy import QualityPolicy
from pipelines.warehouse import Warehouse
from pipelines.warehouse.connection import checked_identifier

VOLUME_CHECK = "volume_anomaly"
KPI_MOVEMENT_CHECK = "kpi_movement"
FRESHNESS_CHECK = "freshness"
KPI_ASSET = "marts.fct_kpi"


@dataclass(frozen=True)
class VolumeMeasure:
    """What a raw table's volume is: `aggregate` over its latest row per key in a period."""

    name: str
    aggregate: str


VOLUME_MEASURES: dict[str, VolumeMeasure] = {
    "ad_spend": VolumeMeasure("spend", "sum(spend)"),
    "orders": VolumeMeasure("orders", "count(*)"),
    "leads": VolumeMeasure("leads", "count(*)"),
}


def compare_with_trailing(
    warehouse: Warehouse,
    observed_sql: str,
    observed_params: list[object],
    series: list[str],
    months: list[date],
    trailing: int,
    factor: float,
    missing_value: float | None,
) -> pd.DataFrame:
    """Each series' value in each month vs the mean of its values in the `trailing` months before.

    `observed_sql` selects (series, period, value); a month without a value counts as
    `missing_value` (0 for volumes; None for KPIs: not compared). Returns one row per series and
    month: value, trailing_mean, trailing_count, low, high (the allowed band; ordered, so a
    negative mean works) and flagged (null when there is nothing to compare with)."""
    points = " union all ".join(
        "select cast(? as varchar) as series, cast(? as date) as period, "
        "cast(? as date) as trailing_from"
        for _ in series
        for _ in months
    )
    point_params = [
        value
        for name in series
        for month in months
        for value in (name, month, add_months(month, -trailing))
    ]
    sql = f"""
        with
        observed as ({observed_sql}),
        points as ({points}),
        compared as (
            select
                points.series,
                points.period,
                coalesce(current_value.value, ?) as value,
                avg(trailing_value.value) as trailing_mean,
                count(trailing_value.value) as trailing_count
            from points
            left join observed as current_value
                on current_value.series = points.series
                and current_value.period = points.period
            left join observed as trailing_value
                on trailing_value.series = points.series
                and trailing_value.period >= points.trailing_from
                and trailing_value.period < points.period
            group by points.series, points.period, current_value.value
        ),
        banded as (
            select
                *,
                least(trailing_mean / ?, trailing_mean * ?) as low,
                greatest(trailing_mean / ?, trailing_mean * ?) as high
            from compared
        )
        select
            series,
            period,
            value,
            trailing_mean,
            trailing_count,
            low,
            high,
            case
                when trailing_count = 0 or value is null then null
                else value < low or value > high
            end as flagged
        from banded
        order by period, series
    """
    params = [*observed_params, *point_params, missing_value, factor, factor, factor, factor]
    frame = warehouse.query(sql, params)
    for column in ("value", "trailing_mean", "low", "high"):
        frame[column] = frame[column].astype(float)
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    return frame


def volume_verdict(
    warehouse: Warehouse, table: Table, months: list[date], policy: QualityPolicy
) -> CheckVerdict:
    """The table's volume measure per run month vs its trailing months (latest row per key, as
    staging keeps it)."""
    measure = VOLUME_MEASURES[table.name]
    trends = policy.trends
    keys = ", ".join(checked_identifier(column) for column in table.key)
    observed_sql = f"""
        select cast(? as varchar) as series, _period as period, {measure.aggregate} as value
        from (
            select
                *,
                row_number() over (
                    partition by {keys} order by _period desc, _loaded_at desc, _batch_id desc
                ) as recency
            from raw.{checked_identifier(table.name)}
            where _period >= ? and _period <= ?
        ) as ranked
        where recency = 1
        group by _period
    """
    comparison = compare_with_trailing(
        warehouse,
        observed_sql,
        [measure.name, add_months(months[0], -trends.trailing_periods), months[-1]],
        [measure.name],
        months,
        trends.trailing_periods,
        trends.volume_factor,
        missing_value=0,
    )
    return trend_verdict(
        f"raw.{table.name}",
        VOLUME_CHECK,
        policy,
        comparison,
        trends.volume_factor,
    )


def kpi_movement_verdict(
    warehouse: Warehouse, months: list[date], policy: QualityPolicy
) -> CheckVerdict:
    """The company KPIs of the policy per run month vs their trailing months in marts.fct_kpi."""
    trends = policy.trends
    kpis = list(trends.kpis)
    observed_sql = f"""
        select kpi as series, period, value
        from marts.fct_kpi
        where entity_type = 'company'
            and kpi in ({", ".join("?" for _ in kpis)})
            and period >= ? and period <= ?
            and value is not null
    """
    comparison = compare_with_trailing(
        warehouse,
        observed_sql,
        [*kpis, add_months(months[0], -trends.trailing_periods), months[-1]],
        kpis,
        months,
        trends.trailing_periods,
        trends.kpi_movement_factor,
        missing_value=None,
    )
    return trend_verdict(
        KPI_ASSET, KPI_MOVEMENT_CHECK, policy, comparison, trends.kpi_movement_factor
    )


def trend_verdict(
    asset: str,
    check_name: str,
    policy: QualityPolicy,
    comparison: pd.DataFrame,
    factor: float,
) -> CheckVerdict:
    """Failed when a value left its band; the offending periods and values are in the details."""
    trailing = policy.trends.trailing_periods
    compared = comparison[comparison["flagged"].notna()]
    flagged = compared[compared["flagged"].astype(bool)]
    without_history = comparison[comparison["trailing_count"] == 0]
    if len(without_history) == len(comparison):
        first = month_label(comparison["period"].min())
        observed = (
            f"no trailing history: none of the {trailing} periods before {first} has a value "
            "to compare with"
        )
    elif not flagged.empty:
        observed = "; ".join(_movement(row, factor) for row in flagged.itertuples())
    else:
        observed = (
            f"{len(compared)} of {len(comparison)} values compared, all within a factor "
            f"{factor:g} of their trailing mean"
        )
    return CheckVerdict(
        asset=asset,
        check_name=check_name,
        severity=policy.severity_of(check_name),
        passed=flagged.empty,
        observed=observed,
        threshold=f"between mean / {factor:g} and mean x {factor:g} of the {trailing} "
        "periods before",
        details={
            "flagged": [_point(row) for row in flagged.itertuples()],
            "without_history": sorted({month_label(p) for p in without_history["period"]}),
        },
    )


def _movement(row: object, factor: float) -> str:
    side = "below mean /" if row.value < row.low else "above mean x"
    return (
        f"{month_label(row.period)} {row.series} {_figure(row.value)} is {side} {factor:g} "
        f"(trailing mean {_figure(row.trailing_mean)} of {row.trailing_count} periods)"
    )


def _point(row: object) -> dict[str, object]:
    return {
        "period": month_label(row.period),
        "series": row.series,
        "value": None if pd.isna(row.value) else round(row.value, 6),
        "trailing_mean": None if pd.isna(row.trailing_mean) else round(row.trailing_mean, 6),
        "trailing_periods": int(row.trailing_count),
    }


def _figure(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"


def event_time_column(table: Table) -> str:
    """A row's own moment: the table's first non-nullable timestamp or date column."""
    for name, column in table.columns.items():
        if column.type in (ColumnType.TIMESTAMP, ColumnType.DATE) and not column.nullable:
            return name
    raise ValueError(f"table '{table.name}' has no date or timestamp column to judge freshness by")


def freshness_verdict(
    warehouse: Warehouse,
    table: Table,
    months: list[date],
    now: datetime,
    policy: QualityPolicy,
) -> CheckVerdict:
    """The open month's newest row is at most max_lag_days old (a date counts from the end of
    its day); with no row landed yet, the month's age is the lag. Runs without the open month
    pass."""
    open_month = date(now.year, now.month, 1)
    max_lag = policy.freshness.max_lag_days
    common = {
        "asset": f"raw.{table.name}",
        "check_name": FRESHNESS_CHECK,
        "severity": policy.severity_of(FRESHNESS_CHECK),
        "threshold": f"newest row of the open month at most {max_lag} days old",
    }
    if open_month not in months:
        return CheckVerdict(
            **common,
            passed=True,
            observed=f"the run does not include the open month {month_label(open_month)}",
        )
    column = event_time_column(table)
    newest = warehouse.scalar(
        f"select max({checked_identifier(column)}) from raw.{checked_identifier(table.name)} "
        "where _period = ?",
        [open_month],
    )
    if newest is None or pd.isna(newest):
        since = datetime.combine(open_month, datetime.min.time())
        what = f"no row of {month_label(open_month)} landed yet"
    else:
        moment = pd.Timestamp(newest).to_pydatetime().replace(tzinfo=None)
        if table.columns[column].type is ColumnType.DATE:
            moment += timedelta(days=1)
        since = moment
        what = f"newest {column} {pd.Timestamp(newest)}"
    lag_days = (now.replace(tzinfo=None) - since).total_seconds() / 86400
    passed = lag_days <= max_lag
    return CheckVerdict(
        **common,
        passed=passed,
        observed=f"{what}: {lag_days:.1f} days old, "
        + ("within" if passed else "more than")
        + f" the allowed {max_lag} days",
        details={
            "period": month_label(open_month),
            "column": column,
            "newest": None if newest is None or pd.isna(newest) else str(newest),
            "lag_days": round(lag_days, 2),
        },
    )
