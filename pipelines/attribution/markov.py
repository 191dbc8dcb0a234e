"""Markov-chain attribution: a channel earns the share of conversion probability lost without it.

The chain of order k is estimated from the path counts. Its states are `start`, `conversion`,
`null` and ChannelAttribution's windows: each run of k consecutive raw touches of a path (a path
shorter than k is one window of all its touches), in order, with a window identical to the one
before it dropped (a > a > a at order 2 is (a, a) once, at order 1 is (a) once). The first window
follows `start`, the last leads to `conversion` or `null`. Dropping repeated windows only removes
self-loops, which change no conversion probability. At order 1 this is a chain over channels with
consecutive repeats collapsed; at order k > 1 repeats do count (a > a > b and a > b differ).
P(conversion from start) is solved exactly as an absorbing chain, (I - Q) x = r. The removal
effect of a channel is 1 - P(without it) / P, where "without" redirects every state holding the
channel to `null`.

Only states that can still reach `conversion` enter the linear system; the rest convert with
probability 0 by construction. A channel none of whose states can reach conversion (for
instance one that only ends non-converting paths) therefore gets exactly 0, not float noise. A
channel that precedes converting states can earn credit even if none of its own paths converted:
that is the Markov model, which credits routes through the chain, not observed journeys.

The system is dense and solved once per channel, so the number of states is capped (MAX_STATES):
order 3 over many channels exceeds it; use a lower order there."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from pipelines.attribution.paths import BoolArray, IntArray, Touches, closes, opens, parse_paths

ORDERS = (1, 2, 3)
MAX_STATES = 3000  # a dense 3000 x 3000 solve takes about a second, and there is one per channel
COLUMNS = ["channel", "removal_effect", "weight", "credited_conversions"]

FloatArray = npt.NDArray[np.float64]


def markov_channel_weights(paths: pd.DataFrame, order: int = 1) -> pd.DataFrame:
    """One row per channel: removal effect, weight (its share of all removal effects; all 0 when
    nothing converted) and the conversions that weight credits it with."""
    if order not in ORDERS:
        raise ValueError(f"Markov order must be one of {ORDERS}, got {order}")
    touches = parse_paths(paths)
    total = int(touches.conversions.sum())
    effects = np.zeros(len(touches.channels))
    if total > 0:
        effects = _removal_effects(_Chain.estimate(touches, order))
    effect_sum = effects.sum()
    weights = effects / effect_sum if effect_sum > 0 else effects
    return pd.DataFrame(
        {
            "channel": list(touches.channels),
            "removal_effect": effects,
            "weight": weights,
            "credited_conversions": total * weights,
        },
        columns=COLUMNS,
    )


@dataclass(frozen=True)
class _Chain:
    """Transition probabilities among the transient states (the channel histories)."""

    start: FloatArray  # start -> state
    moves: FloatArray  # state -> state (Q)
    conversion: FloatArray  # state -> conversion (r)
    holds: BoolArray  # state x channel: whether the channel is in the state's history

    @classmethod
    def estimate(cls, touches: Touches, order: int) -> _Chain:
        """Count every path's transitions, weighted by its journeys, and normalise per state."""
        journeys = touches.conversions + touches.non_conversions
        kept = journeys[touches.row] > 0  # paths without journeys add no transitions
        touches = replace(touches, row=touches.row[kept], code=touches.code[kept])
        row, window = _windows(touches, order)
        base = len(touches.channels) + 1
        state, histories = pd.factorize(window)
        n = len(histories)
        if n > MAX_STATES:
            raise ValueError(
                f"a Markov chain of order {order} has {n} states here, more than {MAX_STATES}: "
                "use a lower order"
            )
        digits = histories[:, None] // base ** np.arange(order) % base
        holds = (digits[:, :, None] == np.arange(1, base)).any(axis=1)

        first, last = opens(row), closes(row)
        weight = journeys[row].astype(np.float64)
        start = np.bincount(state[first], weights=weight[first], minlength=n)
        step = ~first
        moves = np.bincount(
            np.roll(state, 1)[step] * n + state[step], weights=weight[step], minlength=n * n
        ).reshape(n, n)
        conversion = np.bincount(state[last], weights=touches.conversions[row[last]], minlength=n)
        null = np.bincount(state[last], weights=touches.non_conversions[row[last]], minlength=n)
        leaving = moves.sum(axis=1) + conversion + null
        return cls(
            start=start / start.sum(),
            moves=moves / leaving[:, None],
            conversion=conversion / leaving,
            holds=holds,
        )

    def can_convert(self) -> BoolArray:
        """States with a route to conversion: a backward search from the converting states."""
        reached = self.conversion > 0
        frontier = reached
        while frontier.any():
            frontier = (self.moves[:, frontier] > 0).any(axis=1) & ~reached
            reached = reached | frontier
        return reached

    def conversion_probability(self, states: BoolArray) -> float:
        """P(conversion from start) when the states outside `states` never convert."""
        kept = np.flatnonzero(states)
        moves = self.moves[np.ix_(kept, kept)]
        converts = np.linalg.solve(np.eye(len(kept)) - moves, self.conversion[kept])
        return float(self.start[kept] @ converts)


def _windows(touches: Touches, order: int) -> tuple[IntArray, IntArray]:
    """Each path's windows in order, as (row, window): a window is the base-(channels + 1)
    number whose digit `lag` is the channel `lag` touches before the window's last, plus one
    (0 beyond the start of a path shorter than `order`)."""
    row, code, first, last = touches.row, touches.code, touches.first, touches.last
    index = np.arange(len(row))
    position = index - np.maximum.accumulate(np.where(first, index, 0))
    base = len(touches.channels) + 1
    window = np.zeros(len(row), dtype=np.int64)
    for lag in range(order):
        window += np.where(position >= lag, np.roll(code + 1, lag), 0) * base**lag
    # A window ends at each touch with k - 1 touches before it, or at a short path's last touch.
    ends = (position >= order - 1) | (last & (position < order - 1))
    row, window = row[ends], window[ends]
    repeated = ~opens(row) & (np.diff(window, prepend=-1) == 0)
    return row[~repeated], window[~repeated]


def _removal_effects(chain: _Chain) -> FloatArray:
    live = chain.can_convert()
    full = chain.conversion_probability(live)
    effects = np.zeros(chain.holds.shape[1])
    for channel in np.flatnonzero(chain.holds[live].any(axis=0)):
        without = chain.conversion_probability(live & ~chain.holds[:, channel])
        # Removing states cannot raise P, so a negative effect would be rounding; clip it.
        effects[channel] = max(1.0 - without / full, 0.0)
    return effects
