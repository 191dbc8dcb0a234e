"""Which channels and campaigns each order is credited to: equal shares over its journey's touches.

Only the plans use these credits (targets per channel and campaign); they are never written. The
pipeline computes its own attribution from the files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.demo.journeys import Touches
from pipelines.demo.tables import Rows, build, constant, labels, text_ids
from pipelines.demo.timeline import month_numbers
from pipelines.demo.world import World


def order_credits_rows(
    world: World,
    touches: Touches,
    order_of_journey: np.ndarray,
    converted_at: np.ndarray,
    orders: np.ndarray,
    ordered_at: np.ndarray,
    lookback_seconds: int,
    no_touch_channel: str,
) -> Rows:
    """Credit rows (order, channel, campaign, share) of `orders` placed at `ordered_at`, and their
    months. Each touch within the lookback before the order gets an equal share; an order
    without such a touch is credited in full to `no_touch_channel`."""
    credited = _linear_shares(touches, order_of_journey, converted_at, lookback_seconds)
    untouched = np.setdiff1d(orders, credited["order"].to_numpy())
    order = np.concatenate([credited["order"].to_numpy(), untouched])
    channel = pa.concat_arrays(
        [
            labels(world.channels, credited["channel"].to_numpy()),
            constant(no_touch_channel, len(untouched)).cast(pa.string()),
        ]
    )
    campaign = np.concatenate([credited["campaign"].to_numpy(), np.full(len(untouched), -1)])
    table = build(
        "order_credits",
        {
            "order_id": text_ids("order", order),
            "channel": channel,
            "campaign_id": labels(world.campaigns.ids, campaign),
            "share": np.concatenate([credited["share"].to_numpy(), np.ones(len(untouched))]),
        },
    )
    return table, month_numbers(ordered_at[np.searchsorted(orders, order)])


def _linear_shares(
    touches: Touches, order_of_journey: np.ndarray, converted_at: np.ndarray, lookback_seconds: int
) -> pd.DataFrame:
    """order, channel, campaign (codes) and the order's share summed over those touches."""
    order = order_of_journey[touches.journey]
    in_path = (order >= 0) & (touches.at >= converted_at[touches.journey] - lookback_seconds)
    path = pd.DataFrame(
        {
            "order": order[in_path],
            "channel": touches.channel[in_path],
            "campaign": touches.campaign[in_path],
        }
    )
    path["share"] = 1.0 / path.groupby("order")["order"].transform("size")
    return path.groupby(["order", "channel", "campaign"], as_index=False, sort=True)["share"].sum()
