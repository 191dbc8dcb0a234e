"""Shapley-value attribution: channels are players and a path's distinct channels its coalition.

r(T) is the conversion rate of the journeys whose channel set is exactly T (converting and
non-converting journeys; 0 where no journey had T). A coalition S is worth what the channel sets
it covers convert: v(S) = sum of r(T) over T subset of S. Taking r(S) alone as v(S) would make
every coalition no journey had worth 0, the grand coalition included (almost no journey touches
every channel), so the values would sum to about 0 and cancel out. Shapley values are computed
with the standard weights |S|! (n - |S| - 1)! / n! exactly over all 2^n coalitions as bitmasks,
so the channel count is capped: beyond `max_channels`, the channels with the fewest conversions
fold into one `other_channel` player.

Negative values: with this v, phi_c = sum over T holding c of r(T) / |T| >= 0, so a channel never
earns negative credit; a channel whose sets convert badly earns little. `weight` still clips at 0
(max(phi, 0) over the sum of those) so that rounding cannot produce a negative share, and the
weights sum to 1."""

from __future__ import annotations

from math import factorial

import numpy as np
import numpy.typing as npt
import pandas as pd

from pipelines.attribution.paths import Touches, parse_paths
from pipelines.channels import check_channel_name

MAX_PLAYERS = 20  # 2^20 coalition values held in memory at once
COLUMNS = ["channel", "shapley_value", "weight", "credited_conversions"]

FloatArray = npt.NDArray[np.float64]


def shapley_channel_weights(
    paths: pd.DataFrame, max_channels: int = 15, other_channel: str = "other"
) -> pd.DataFrame:
    """One row per channel (folded ones replaced by `other_channel`): Shapley value, weight and
    the conversions that weight credits it with."""
    touches = parse_paths(paths)
    touches = touches.relabel(_fold(touches, max_channels, other_channel))
    coalition = touches.channel_sets()
    size = 1 << len(touches.channels)
    converted = np.bincount(coalition, weights=touches.conversions, minlength=size)
    journeys = np.bincount(
        coalition, weights=touches.conversions + touches.non_conversions, minlength=size
    )
    rate = np.divide(converted, journeys, out=np.zeros(size), where=journeys > 0)
    values = _shapley_values(_covered_sum(rate, len(touches.channels)), len(touches.channels))
    positive = np.maximum(values, 0.0)
    weights = positive / positive.sum() if positive.sum() > 0 else positive
    return pd.DataFrame(
        {
            "channel": list(touches.channels),
            "shapley_value": values,
            "weight": weights,
            "credited_conversions": int(touches.conversions.sum()) * weights,
        },
        columns=COLUMNS,
    )


def fold_rare_channels(
    paths: pd.DataFrame, max_channels: int = 15, other_channel: str = "other"
) -> dict[str, str]:
    """Map every channel to the player it is credited as: itself, or `other_channel` for all but
    the `max_channels - 1` channels in the most converting journeys (ties: by name) when there
    are more than `max_channels`. A channel already named `other_channel` is folded too."""
    return _fold(parse_paths(paths), max_channels, other_channel)


def _fold(touches: Touches, max_channels: int, other_channel: str) -> dict[str, str]:
    if not 1 <= max_channels <= MAX_PLAYERS:
        raise ValueError(f"max_channels must be in 1..{MAX_PLAYERS}, got {max_channels}")
    check_channel_name(other_channel)
    channels = touches.channels
    if len(channels) <= max_channels:
        return {name: name for name in channels}
    # One (row, channel) pair per journey touching the channel, however many times it did.
    pairs = np.unique(touches.row * len(channels) + touches.code)
    converted = np.bincount(
        pairs % len(channels),
        weights=touches.conversions[pairs // len(channels)],
        minlength=len(channels),
    )
    ranked = sorted(
        (code for code, name in enumerate(channels) if name != other_channel),
        key=lambda code: (-converted[code], channels[code]),
    )
    kept = {channels[code] for code in ranked[: max_channels - 1]}
    return {name: name if name in kept else other_channel for name in channels}


def _covered_sum(rate: FloatArray, players: int) -> FloatArray:
    """v(S) = sum of rate(T) over every T subset of S, for all S at once (a subset-sum
    transform: n passes, each adding the coalitions without one player to those with it)."""
    worth = rate.copy()
    coalitions = np.arange(1 << players)
    for player in range(players):
        bit = 1 << player
        with_player = coalitions[(coalitions & bit) != 0]
        worth[with_player] += worth[with_player ^ bit]
    return worth


def _shapley_values(worth: FloatArray, players: int) -> FloatArray:
    """phi_i = sum over S without i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S))."""
    coalitions = np.arange(1 << players)
    sizes = np.bitwise_count(coalitions)
    share = np.array(
        [factorial(s) * factorial(players - s - 1) / factorial(players) for s in range(players)]
    )
    values = np.empty(players)
    for player in range(players):
        bit = 1 << player
        without = coalitions[(coalitions & bit) == 0]
        values[player] = share[sizes[without]] @ (worth[without | bit] - worth[without])
    return values
