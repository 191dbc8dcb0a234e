"""Periods: calendar months named YYYY-MM, and the dbt vars that scope a run to a range of them."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipelines.config import PipelineConfig

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
QUARTER_PATTERN = re.compile(r"^(\d{4})-Q([1-4])$")
YEAR_PATTERN = re.compile(r"^(\d{4})$")


def parse_month(text: str) -> date:
    """'2025-03' (or a partition key '2025-03-01') -> date(2025, 3, 1); ValueError otherwise."""
    match = MONTH_PATTERN.match(text[:7]) if len(text) in (7, 10) else None
    if match is None or (len(text) == 10 and text[7:] != "-01"):
        raise ValueError(f"'{text}' is not a month: expected YYYY-MM")
    return date(int(match.group(1)), int(match.group(2)), 1)


def parse_span(text: str) -> tuple[date, date]:
    """A month ('2025-03'), quarter ('2025-Q2') or year ('2025') -> (first month, last month)."""
    if match := QUARTER_PATTERN.match(text):
        first = date(int(match.group(1)), 3 * int(match.group(2)) - 2, 1)
        return first, add_months(first, 2)
    if match := YEAR_PATTERN.match(text):
        return date(int(text), 1, 1), date(int(text), 12, 1)
    try:
        month = parse_month(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a period: expected YYYY-MM, YYYY-Qn or YYYY") from None
    return month, month


def month_label(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every month from `first` to `last`, both included."""
    if last < first:
        raise ValueError(
            f"range ends ({month_label(last)}) before it starts ({month_label(first)})"
        )
    count = (last.year - first.year) * 12 + last.month - first.month
    return [add_months(first, i) for i in range(count + 1)]


def dbt_vars(first: date, last: date, config: PipelineConfig) -> dict[str, object]:
    """The `--vars` of a dbt run over the months first..last (both included), the KPI catalogue
    among them: dbt cannot read a file, and vars are how every dbt invocation gets configuration."""
    # Imported here: the command line parses periods, and its read commands need no configuration.
    from pipelines.config import CONVERSION_TYPES
    from pipelines.scoring.kpi_catalogue import dbt_kpis

    attribution = config.attribution
    return {
        "first_period": f"{config.first_period}-01",
        "period_start": first.isoformat(),
        "period_end": last.isoformat(),
        "lookback_days": {t: attribution.lookback_days_of(t) for t in CONVERSION_TYPES},
        "half_life_days": attribution.half_life_days,
        "position_based": attribution.position_based.model_dump(),
        "w_shaped": attribution.w_shaped.model_dump(),
        "no_touch_channel": attribution.no_touch_channel,
        "primary_model": attribution.primary_model,
        "churn_window_months": config.kpis.churn_window_months,
        "ltv_horizon_months": config.kpis.ltv_horizon_months,
        "channels": [
            {"channel": name, "is_paid": channel.paid} for name, channel in config.channels.items()
        ],
        "kpis": dbt_kpis(),
    }


def span_label(first: date, last: date) -> str:
    """`2025-01` for one month, `2025-01..2025-03` for a range."""
    return month_label(first) if first == last else f"{month_label(first)}..{month_label(last)}"
