"""Ad platforms: a daily row per paid campaign, and the monthly budgets those campaigns spend.

Daily clicks follow the clicks the site tracked for the campaign that day (platforms count a
few more), so spend, clicks and touchpoints tell one consistent story."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.demo.assumptions import Assumptions
from pipelines.demo.tables import (
    CURRENCY,
    amounts,
    build,
    constant,
    dates,
    labels,
    round_significant,
    schema,
)
from pipelines.demo.timeline import DAY, Window
from pipelines.demo.world import World
from pipelines.periods import month_label


def ad_spend_table(
    rng: np.random.Generator,
    assumptions: Assumptions,
    world: World,
    window: Window,
    cutoff: int,
    touchpoints: pa.Table,
) -> pa.Table:
    """Every paid campaign x every whole day of the month before the cutoff."""
    spec = assumptions.ad_platform
    campaigns = world.campaigns
    paid = world.paid_campaigns
    day_count = window.whole_days_before(cutoff)
    tracked = _tracked_clicks(world, window, touchpoints, day_count)[paid]  # paid x days

    campaign = np.repeat(paid[:, None], day_count, axis=1).T.ravel()  # day-major: date, campaign
    clicks = rng.poisson(tracked.T.ravel() * spec.clicks_per_tracked_click)
    ctr = campaigns.ctr[campaign] * rng.lognormal(0, spec.daily_noise, len(campaign))
    cpc = campaigns.cpc[campaign] * rng.lognormal(0, spec.daily_noise, len(campaign))
    day = np.repeat(np.arange(day_count), len(paid))
    return build(
        "ad_spend",
        {
            "date": dates(window.start + day * DAY),
            "channel": labels(world.channels, campaigns.channel[campaign]),
            "campaign_id": labels(campaigns.ids, campaign),
            "campaign_name": labels(campaigns.names, campaign),
            "impressions": np.round(np.maximum(clicks, 0.5) / ctr).astype(np.int64),
            "clicks": clicks,
            "spend": amounts(clicks * cpc),
            "currency": constant(CURRENCY, len(campaign)),
        },
    )


def _tracked_clicks(
    world: World, window: Window, touchpoints: pa.Table, day_count: int
) -> np.ndarray:
    """Click touches per campaign code x day of the month (days before `day_count`)."""
    clicks = touchpoints.filter(pc.equal(touchpoints["touch_type"], "click"))
    campaign = _campaign_codes(world, clicks["campaign_id"])
    day = (clicks["occurred_at"].cast(pa.int64()).to_numpy() - window.start) // DAY
    counted = (campaign >= 0) & (day < day_count)
    cells = campaign[counted] * day_count + day[counted]
    size = len(world.campaigns.ids) * day_count
    return np.bincount(cells, minlength=size).reshape(len(world.campaigns.ids), day_count)


def budget_table(
    rng: np.random.Generator,
    assumptions: Assumptions,
    world: World,
    window: Window,
    cutoff: int,
    ad_spend: pa.Table,
) -> pa.Table:
    """Each paid campaign's budget for the month: its full-month spend pace x a planning factor."""
    campaigns = world.campaigns
    paid = world.paid_campaigns
    elapsed = window.whole_days_before(cutoff) / window.days
    if elapsed == 0:
        return schema("budgets").empty_table()
    code = _campaign_codes(world, ad_spend["campaign_id"])
    spend_by_campaign = np.bincount(
        code, weights=ad_spend["spend"].to_numpy(), minlength=len(campaigns.ids)
    )
    spend = spend_by_campaign[paid]
    factor = rng.uniform(*assumptions.ad_platform.budget_over_spend, len(paid))
    budget = round_significant(spend / elapsed * factor, assumptions.plans.significant_digits)
    return build(
        "budgets",
        {
            "month": constant(month_label(window.month), len(paid)),
            "channel": labels(world.channels, campaigns.channel[paid]),
            "campaign_id": labels(campaigns.ids, paid),
            "budget": budget,
            "currency": constant(CURRENCY, len(paid)),
        },
    )


def _campaign_codes(world: World, campaign_ids: pa.ChunkedArray) -> np.ndarray:
    """Each id's campaign code; -1 for none."""
    codes = pc.index_in(campaign_ids, value_set=pa.array(world.campaigns.ids))
    return pc.fill_null(codes, -1).to_numpy().astype(np.int64)
