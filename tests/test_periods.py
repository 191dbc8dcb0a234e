"""Month arithmetic and the dbt vars built from a partition range."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.config import load_pipeline_config
from pipelines.periods import (
    add_months,
    dbt_vars,
    month_label,
    months_between,
    parse_month,
    parse_span,
)


def test_parse_month_accepts_labels_and_partition_keys():
    assert parse_month("2025-03") == date(2025, 3, 1)
    assert parse_month("2025-03-01") == date(2025, 3, 1)


@pytest.mark.parametrize("text", ["2025-13", "2025-3", "25-03", "2025-03-02", "March"])
def test_parse_month_rejects_anything_else(text):
    with pytest.raises(ValueError, match="expected YYYY-MM"):
        parse_month(text)


def test_month_arithmetic_crosses_years():
    assert add_months(date(2025, 11, 1), 3) == date(2026, 2, 1)
    assert add_months(date(2025, 1, 1), -1) == date(2024, 12, 1)
    assert month_label(date(2024, 12, 1)) == "2024-12"
    assert months_between(date(2024, 11, 1), date(2025, 2, 1)) == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
    ]
    with pytest.raises(ValueError, match="ends"):
        months_between(date(2025, 2, 1), date(2025, 1, 1))


def test_dbt_vars_carry_the_range_and_the_attribution_settings():
    config = load_pipeline_config()
    variables = dbt_vars(date(2025, 1, 1), date(2025, 3, 1), config)
    assert variables["period_start"] == "2025-01-01"
    assert variables["period_end"] == "2025-03-01"
    assert variables["lookback_days"] == {
        "order": config.attribution.lookback_days_of("order"),
        "lead": config.attribution.lookback_days_of("lead"),
        "won_deal": config.attribution.lookback_days_of("won_deal"),
    }
    assert variables["position_based"] == {"first": 0.4, "last": 0.4}
    assert variables["w_shaped"] == {"first": 0.3, "lead_creation": 0.3, "last": 0.3}
    assert {"channel": "paid_search", "is_paid": True} in variables["channels"]
    assert variables["churn_window_months"] == config.kpis.churn_window_months == 3
    assert variables["ltv_horizon_months"] == config.kpis.ltv_horizon_months == 12


def test_parse_span_reads_months_quarters_and_years():
    assert parse_span("2025-03") == (date(2025, 3, 1), date(2025, 3, 1))
    assert parse_span("2025-Q2") == (date(2025, 4, 1), date(2025, 6, 1))
    assert parse_span("2025-Q4") == (date(2025, 10, 1), date(2025, 12, 1))
    assert parse_span("2025") == (date(2025, 1, 1), date(2025, 12, 1))
    for bad in ("2025-Q5", "2025-13", "Q2"):
        with pytest.raises(ValueError, match="expected YYYY-MM, YYYY-Qn or YYYY"):
            parse_span(bad)
