"""Markov attribution: hand-computed chains, an independent route-summing check, invariants."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from pipelines.attribution.markov import COLUMNS, markov_channel_weights
from tests.attribution_paths import by_channel, paths_frame

State = tuple[str, ...]


def test_order_1_hand_computed() -> None:
    result = markov_channel_weights(paths_frame({"a > b": (1, 0), "a": (0, 1), "b": (1, 1)}))
    # Transition counts -> probabilities (per from-state):
    #   start: ->a 2 ("a > b", "a"), ->b 2 ("b", both journeys)   => 1/2, 1/2
    #   a:     ->b 1, ->null 1                                    => 1/2, 1/2
    #   b:     ->conversion 2 ("a > b", "b"), ->null 1            => 2/3, 1/3
    # P(conv | b) = 2/3, P(conv | a) = 1/2 * 2/3 = 1/3; P = 1/2 * 1/3 + 1/2 * 2/3 = 1/2.
    # Without a: start->a goes to null, P = 1/2 * 2/3 = 1/3 -> RE_a = 1 - (1/3) / (1/2) = 1/3.
    # Without b: nothing reaches conversion, P = 0 -> RE_b = 1.
    # Weights: (1/3) / (4/3) = 1/4 and 1 / (4/3) = 3/4; 2 conversions -> 0.5 and 1.5.
    assert list(result.columns) == COLUMNS
    assert result["channel"].tolist() == ["a", "b"]
    assert result["removal_effect"].tolist() == pytest.approx([1 / 3, 1])
    assert result["weight"].tolist() == pytest.approx([1 / 4, 3 / 4])
    assert result["credited_conversions"].tolist() == pytest.approx([0.5, 1.5])


def test_order_1_loop_matches_geometric_series() -> None:
    result = markov_channel_weights(
        paths_frame({"a > b": (1, 0), "a > b > a": (0, 1), "b": (1, 0)})
    )
    # start: ->a 2/3, ->b 1/3;  a: ->b 2/3, ->null 1/3;  b: ->conversion 2/3, ->a 1/3.
    # From b, every route is (b -> a -> b)^k then conversion: P_b = 2/3 * sum (1/3 * 2/3)^k
    #   = (2/3) / (1 - 2/9) = 6/7; P_a = 2/3 * P_b = 4/7; P = 2/3 * 4/7 + 1/3 * 6/7 = 2/3.
    # Without a (start->a and b->a go to null): P = 1/3 * 2/3 = 2/9 -> RE_a = 1 - (2/9)/(2/3) = 2/3.
    # Without b: P = 0 -> RE_b = 1. Weights 2/5, 3/5 of 2 conversions.
    result = result.set_index("channel")
    assert result["removal_effect"].tolist() == pytest.approx([2 / 3, 1])
    assert result["weight"].tolist() == pytest.approx([2 / 5, 3 / 5])
    assert result["credited_conversions"].tolist() == pytest.approx([0.8, 1.2])


def test_order_2_states_are_pairs() -> None:
    paths = paths_frame({"a > c": (1, 0), "b > c": (0, 1)})
    # Order 1: state c mixes both journeys (->conversion 1/2), so b shares a's credit:
    #   P = 1/2; without a or without b: 1/4 -> RE 1/2 each; without c: 0 -> RE 1.
    first_order = markov_channel_weights(paths, order=1)
    assert first_order["removal_effect"].tolist() == pytest.approx([0.5, 0.5, 1])
    assert first_order["weight"].tolist() == pytest.approx([0.25, 0.25, 0.5])
    # Order 2: states (a), (a, c) -> conversion; (b), (b, c) -> null. P = 1/2.
    #   Without a: P = 0 -> RE 1; without b: P = 1/2 -> RE 0; without c: P = 0 -> RE 1.
    second_order = markov_channel_weights(paths, order=2)
    assert second_order["removal_effect"].tolist() == [1.0, 0.0, 1.0]
    assert second_order["weight"].tolist() == pytest.approx([0.5, 0, 0.5])


def test_order_2_windows_of_raw_touches_hand_computed() -> None:
    """ChannelAttribution's states: windows of 2 raw touches, a repeated window dropped, a path
    shorter than 2 one window of its touch.

    'b > a > a > a' (1 conversion): start -> (b,a) -> (a,a) -> conversion; the third window
        (a,a) repeats the second and is dropped.
    'c > a > a' (1 non-conversion): start -> (c,a) -> (a,a) -> null.
    'a' (1 conversion, 1 non-conversion): start -> (a) -> conversion / null.
    start: (b,a) 1/4, (c,a) 1/4, (a) 1/2; (b,a) -> (a,a) 1; (c,a) -> (a,a) 1;
    (a,a): conversion 1/2, null 1/2; (a): conversion 1/2, null 1/2.
    P = 1/4 x 1/2 + 1/4 x 1/2 + 1/2 x 1/2 = 1/2.
    Without a (every state holds a): P = 0 -> RE 1.
    Without b ((b,a) to null): P = 1/4 x 1/2 + 1/2 x 1/2 = 3/8 -> RE 1 - (3/8) / (1/2) = 1/4.
    Without c: likewise 1/4. Weights 1 : 1/4 : 1/4 = 2/3, 1/6, 1/6 of 2 conversions.
    (Collapsing repeats first, as this module once did, gives states (b) -> (b,a) -> conversion
    and (c) -> (c,a) -> null, which remember b and c: RE b 1/2, c 0, weights a 2/3, b 1/3.)"""
    paths = paths_frame({"b > a > a > a": (1, 0), "c > a > a": (0, 1), "a": (1, 1)})
    result = markov_channel_weights(paths, order=2)
    assert by_channel(result, "removal_effect") == pytest.approx({"a": 1, "b": 1 / 4, "c": 1 / 4})
    assert by_channel(result, "weight") == pytest.approx({"a": 2 / 3, "b": 1 / 6, "c": 1 / 6})
    assert by_channel(result, "credited_conversions") == pytest.approx(
        {"a": 4 / 3, "b": 1 / 3, "c": 1 / 3}
    )


def test_order_3_remembers_three_channels() -> None:
    paths = paths_frame({"a > b > c": (1, 0), "e > b > c": (0, 1)})
    # Order 3: (a, b, c) -> conversion and (e, b, c) -> null are distinct states:
    #   RE a = b = c = 1, e = 0; weights 1/3 each for a, b, c.
    third_order = by_channel(markov_channel_weights(paths, order=3), "weight")
    assert third_order == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3, "e": 0})
    # Order 2: both journeys meet in (b, c) -> conversion 1/2, so a and e get RE 1/2 each,
    #   b and c RE 1: weights 1/6, 1/3, 1/3, 1/6.
    second_order = by_channel(markov_channel_weights(paths, order=2), "weight")
    assert second_order == pytest.approx({"a": 1 / 6, "b": 1 / 3, "c": 1 / 3, "e": 1 / 6})


@pytest.mark.parametrize("order", [0, 4])
def test_orders_outside_1_to_3_are_rejected(order: int) -> None:
    with pytest.raises(ValueError, match="Markov order must be one of"):
        markov_channel_weights(paths_frame({"a": (1, 0)}), order=order)


def test_too_many_states_are_rejected() -> None:
    # 60 channels, every ordered pair as a path: order 2 has a window per path, 60 * 59 = 3540.
    channels = [f"c{i}" for i in range(60)]
    paths = {f"{a} > {b}": (1, 1) for a in channels for b in channels if a != b}
    with pytest.raises(ValueError, match="has 3540 states here, more than 3000"):
        markov_channel_weights(paths_frame(paths), order=2)


def _route_sum(paths: dict[str, tuple[int, int]], order: int, removed: str | None) -> float:
    """P(conversion) by pushing probability along every route step by step until the mass left
    is negligible; the counts are tallied here in plain Python, independently of the module."""
    start: State = ()
    counts: dict[State, Counter[State | str]] = defaultdict(Counter)
    for path, (conv, non) in paths.items():
        if conv + non == 0:  # no journeys, no transitions
            continue
        touches = path.split(" > ")
        windows = [tuple(touches[i : i + order]) for i in range(max(1, len(touches) - order + 1))]
        route = [start] + [w for i, w in enumerate(windows) if i == 0 or w != windows[i - 1]]
        for here, there in pairwise(route):
            counts[here][there] += conv + non
        counts[route[-1]]["conversion"] += conv
        counts[route[-1]]["null"] += non
    mass: dict[State, float] = {start: 1.0}
    converted = 0.0
    while sum(mass.values()) > 1e-15:
        moved: dict[State, float] = defaultdict(float)
        for state, probability in mass.items():
            if removed in state:  # the removed channel's states lead to null
                continue
            leaving = sum(counts[state].values())
            for there, count in counts[state].items():
                if there == "conversion":
                    converted += probability * count / leaving
                elif there != "null":
                    moved[there] += probability * count / leaving
        mass = moved
    return converted


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_independent_route_summing(order: int, seed: int) -> None:
    rng = random.Random(seed)
    paths = {
        " > ".join(rng.choices("abcd", k=rng.randint(1, 6))): (rng.randint(0, 4), rng.randint(0, 6))
        for _ in range(25)
    }
    paths["a"] = (1, 1)  # at least one conversion
    full = _route_sum(paths, order, None)
    expected = {c: 1 - _route_sum(paths, order, c) / full for c in "abcd"}
    result = markov_channel_weights(paths_frame(paths), order=order)
    assert by_channel(result, "removal_effect") == pytest.approx(expected, abs=1e-9)
    assert result["weight"].sum() == pytest.approx(1)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_channel_only_ending_non_converting_paths_gets_exactly_zero(order: int) -> None:
    paths = {"a > b": (3, 2), "b > a > d": (0, 4), "a > d": (0, 1), "b": (1, 1), "d": (0, 2)}
    result = markov_channel_weights(paths_frame(paths), order=order).set_index("channel")
    assert result.loc["d", "removal_effect"] == 0.0
    assert result.loc["d", "weight"] == 0.0
    assert result["removal_effect"].min() >= 0
    assert result["weight"].sum() == pytest.approx(1)


def test_channel_leading_into_converting_states_earns_credit_without_converting_itself() -> None:
    # The Markov model credits routes through the chain: d's journey never converted, but
    # d -> a joins a state that converts half the time.
    # start: ->d 1/2, ->a 1/2; d: ->a 1; a: ->conversion 1/2, ->null 1/2. P = 1/2.
    # Without d: P = 1/4 -> RE_d = 1/2; without a: P = 0 -> RE_a = 1.
    result = markov_channel_weights(paths_frame({"d > a": (0, 1), "a": (1, 0)}))
    assert by_channel(result, "removal_effect") == pytest.approx({"a": 1, "d": 0.5})


@pytest.mark.parametrize("order", [1, 2, 3])
def test_renaming_and_reordering_channels_maps_results(order: int) -> None:
    rng = random.Random(7)
    paths = {
        " > ".join(rng.choices("abcd", k=rng.randint(1, 5))): (rng.randint(0, 3), rng.randint(0, 5))
        for _ in range(30)
    }
    renamed = {"a": "zeta", "b": "alpha", "c": "mid_2", "d": "b"}
    renamed_paths = {
        " > ".join(renamed[c] for c in path.split(" > ")): counts for path, counts in paths.items()
    }
    original = markov_channel_weights(paths_frame(paths), order=order).set_index("channel")
    shuffled = paths_frame(renamed_paths).sample(frac=1, random_state=3)
    result = markov_channel_weights(shuffled, order=order).set_index("channel")
    assert result.index.tolist() == sorted(renamed.values())
    for old, new in renamed.items():
        assert result.loc[new].tolist() == pytest.approx(original.loc[old].tolist(), abs=1e-12)


def test_consecutive_repeats_collapse_at_order_1_and_count_above() -> None:
    repeated = paths_frame({"a > a > b": (1, 0), "b > b": (0, 1), "c > b > b > c": (1, 0)})
    collapsed = paths_frame({"a > b": (1, 0), "b": (0, 1), "c > b > c": (1, 0)})
    pd.testing.assert_frame_equal(
        markov_channel_weights(repeated, order=1), markov_channel_weights(collapsed, order=1)
    )
    # Order 2: the window (a,a) joins b's converting and c's lost journey, so b and c share a's
    # fate (RE 1/2 each); collapsed, (b,a) converts and (c,a) does not (RE b 1, c 0).
    with_repeats = paths_frame({"b > a > a": (1, 0), "c > a > a": (0, 1)})
    without = paths_frame({"b > a": (1, 0), "c > a": (0, 1)})
    assert by_channel(markov_channel_weights(with_repeats, order=2), "removal_effect") == (
        pytest.approx({"a": 1, "b": 0.5, "c": 0.5})
    )
    assert by_channel(markov_channel_weights(without, order=2), "removal_effect") == (
        pytest.approx({"a": 1, "b": 1, "c": 0})
    )


def test_no_conversions_gives_all_zero() -> None:
    result = markov_channel_weights(paths_frame({"a > b": (0, 3), "b": (0, 1)}))
    assert result["channel"].tolist() == ["a", "b"]
    assert result[["removal_effect", "weight", "credited_conversions"]].to_numpy().tolist() == [
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0],
    ]


def test_whole_float_counts_are_accepted() -> None:
    paths = paths_frame({"a > b": (1, 0), "a": (0, 1), "b": (1, 1)})
    as_float = paths.astype({"conversions": float, "non_conversions": float})
    pd.testing.assert_frame_equal(markov_channel_weights(as_float), markov_channel_weights(paths))


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            pd.DataFrame({"path": ["a"], "conversions": [1]}),
            r"lacks column\(s\) \['non_conversions'\]",
        ),
        (
            paths_frame({"a": (1, -1)}),
            "non_conversions must be a whole number >= 0, got -1 for path 'a'",
        ),
        (
            paths_frame({"a": (1, 0)}).astype({"conversions": float}).assign(conversions=1.5),
            "whole",
        ),
        (
            pd.DataFrame({"path": ["a"], "conversions": [np.nan], "non_conversions": [0]}),
            "conversions must be a whole number",
        ),
        (paths_frame({"a": (1, 0), "": (1, 0)}), "empty path in row 1"),
        (paths_frame({"a >b": (1, 0)}), "malformed channel 'a >b'"),
        (paths_frame({"Email": (1, 0)}), "malformed channel 'Email'"),
        (paths_frame({"a > \nb": (1, 0)}), "line break"),
        (pd.DataFrame({"path": [None], "conversions": [1], "non_conversions": [0]}), "string"),
    ],
)
def test_malformed_frames_are_rejected(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        markov_channel_weights(frame)
