"""Conversion-level credit of the data-driven models that adds up to their channel results.

A model gives channel c the weight w_c, so c's result is N x w_c (N conversions). Sharing each
conversion by raw weights (w_c over the sum of w over the path's channels) keeps every
conversion's credits summing to 1, but summed per channel it gives other figures: a channel alone
on many paths takes all of them. So the weights are refitted by iterative proportional fitting
(IPF) over the table of converting paths x channels, weighted by conversions and started from
those raw-weight shares (zeros stay zeros): alternately each channel's column is scaled to its
target N x w_c and each path's row back to 1. A path's shares stay proportional to the scaled
weights of its channels, so the fit is one allocation weight per channel (v_c = b_c w_c), which
dbt applies exactly like the raw weight; paths with the same channel set are one row here.

When no allocation meets every target, the rows' sums of 1 are kept. A channel with weight on
no converting path gets allocation 0 and its target is shared by the others in proportion to
their weights. Credit moves only between channels linked through shared paths, so each such
group keeps its own conversions; IPF meets the group's targets scaled to them (a channel alone on
one path and in no other is a group of one, its target missed either way), and where even those
cannot be met (paths where a channel is alone already exceed its scaled target) it tends to the
allocation with the least total gap, the channel's shares elsewhere to 0 (geometrically, or like
1 / rounds on the edge where they must reach 0 exactly; hence MAX_ITERATIONS).
`allocated_conversions` is what the conversion-level credit sums to per channel; the quality
checks report its gap to N x w_c. A path whose channels all weigh 0 is credited linearly by dbt,
and here likewise."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from pipelines.attribution.paths import BoolArray, IntArray, Touches, parse_paths

MAX_ITERATIONS = 2000  # fits take tens of rounds; a share that must reach 0 shrinks like 1 / rounds
TOLERANCE = 1e-12  # of the conversions: done when every channel meets its target this closely
MIN_LOG_WEIGHT = -700.0  # keeps exp() of a vanishing weight above 0 (doubles reach 1e-308)
COLUMNS = ["model_channel", "allocation_weight", "allocated_conversions"]

FloatArray = npt.NDArray[np.float64]


def converting_touches(paths: pd.DataFrame) -> Touches:
    """The touches of the paths that converted (the rows allocate_credit reads)."""
    return parse_paths(paths[paths["conversions"] > 0])


def allocate_credit(
    converting: Touches, credited_as: dict[str, str], weights: dict[str, float]
) -> pd.DataFrame:
    """One row per model channel of `weights`: the allocation weight dbt shares each conversion
    by, and the conversions that sharing credits the channel with. `credited_as` maps every
    channel of the converting touches to its model channel (a key of `weights`)."""
    model_channels = sorted(weights)
    allocation = dict.fromkeys(model_channels, 0.0)
    allocated = dict.fromkeys(model_channels, 0.0)
    if len(converting.row):
        touches = converting.relabel({name: credited_as[name] for name in converting.channels})
        fitted, credit = _fit(touches, np.array([weights[c] for c in touches.channels]))
        allocation.update(zip(touches.channels, fitted, strict=True))
        allocated.update(zip(touches.channels, credit, strict=True))
    return pd.DataFrame(
        {
            "model_channel": model_channels,
            "allocation_weight": [allocation[c] for c in model_channels],
            "allocated_conversions": [allocated[c] for c in model_channels],
        },
        columns=COLUMNS,
    )


def _fit(touches: Touches, weight: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(allocation weight, allocated conversions) per channel of the converting `touches`."""
    # Paths with the same channel set share alike: one row per set (any number of channels).
    in_path = np.zeros((len(touches.conversions), len(weight)), dtype=bool)
    in_path[touches.row, touches.code] = True
    packed = np.packbits(in_path, axis=1)  # each row's set as bytes: one sortable key
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first_row, set_of_row = np.unique(keys, return_index=True, return_inverse=True)
    member = in_path[first_row]
    conversions = np.bincount(set_of_row, weights=touches.conversions)
    weighted = member @ weight > 0
    fixed = _linear_credit(touches, ~weighted[set_of_row])
    member, conversions = member[weighted], conversions[weighted]
    present = member.any(axis=0) & (weight > 0)
    if not present.any():
        return np.zeros_like(weight), fixed
    target = np.where(present, weight, 0.0)
    target *= conversions.sum() / target.sum()
    log_weight = np.where(present, np.log(np.where(present, weight, 1.0)), -np.inf)
    component = _components(member)
    credit = _credit(member, conversions, log_weight)
    goal = TOLERANCE * conversions.sum()
    for _ in range(MAX_ITERATIONS):
        if np.abs(credit - target).max() <= goal:
            break
        log_weight[present] += np.log(target[present]) - np.log(credit[present])
        # Only ratios within a group of channels that share paths matter, and groups drift
        # apart without bound: each group's top weight is kept at 1.
        top = np.full(component.max() + 1, -np.inf)
        np.maximum.at(top, component[present], log_weight[present])
        log_weight[present] = np.maximum(
            log_weight[present] - top[component[present]], MIN_LOG_WEIGHT
        )
        previous, credit = credit, _credit(member, conversions, log_weight)
        if np.abs(credit - previous).max() <= goal:
            break
    allocation = np.exp(log_weight)
    return allocation / allocation.sum(), credit + fixed


def _components(member: BoolArray) -> IntArray:
    """Per channel, the smallest channel it is linked to through channel sets (its group)."""
    linked = (member.T.astype(np.int64) @ member) > 0
    reach = linked | np.eye(len(linked), dtype=bool)
    while True:
        wider = (reach.astype(np.int64) @ reach) > 0
        if (wider == reach).all():
            return np.argmax(reach, axis=1)
        reach = wider


def _credit(member: BoolArray, conversions: FloatArray, log_weight: FloatArray) -> FloatArray:
    """Conversions credited per channel when each set's conversions are shared by weight."""
    shares = np.where(member, np.exp(log_weight), 0.0)
    return conversions @ (shares / shares.sum(axis=1, keepdims=True))


def _linear_credit(touches: Touches, rows: BoolArray) -> FloatArray:
    """Credit per channel of the `rows` (a mask over paths) shared evenly over their touches."""
    length = np.bincount(touches.row, minlength=len(rows))
    per_touch = np.divide(touches.conversions, length, out=np.zeros(len(rows)), where=length > 0)
    chosen = rows[touches.row]
    return np.bincount(
        touches.code[chosen],
        weights=per_touch[touches.row[chosen]],
        minlength=len(touches.channels),
    )
