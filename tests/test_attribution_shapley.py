"""Shapley attribution: hand-computed games, brute force over permutations, folding, invariants."""

from __future__ import annotations

import random
from itertools import permutations

import pandas as pd
import pytest

from pipelines.attribution.shapley import COLUMNS, fold_rare_channels, shapley_channel_weights
from tests.attribution_paths import by_channel, paths_frame


def test_two_channels_hand_computed() -> None:
    paths = {"a": (1, 3), "b": (1, 1), "a > b": (2, 1), "b > a > b": (1, 0)}
    result = shapley_channel_weights(paths_frame(paths))
    # Rates: r(a) = 1/4, r(b) = 1/2, r(ab) = (2 + 1) / (3 + 1) = 3/4 (order, repeats don't count).
    # Worth: v(a) = 1/4, v(b) = 1/2, v(ab) = 1/4 + 1/2 + 3/4 = 3/2.
    # n = 2: |S|!(n-|S|-1)!/n! = 0!1!/2! = 1/2 for S = {}, 1!0!/2! = 1/2 for |S| = 1.
    # phi_a = 1/2 (v(a) - 0) + 1/2 (v(ab) - v(b)) = 1/8 + 1/2 = 5/8
    # phi_b = 1/2 (v(b) - 0) + 1/2 (v(ab) - v(a)) = 1/4 + 5/8 = 7/8   (sum 3/2 = v(ab))
    # Weights 5/12, 7/12 of 5 conversions.
    assert list(result.columns) == COLUMNS
    assert result["channel"].tolist() == ["a", "b"]
    assert result["shapley_value"].tolist() == pytest.approx([5 / 8, 7 / 8])
    assert result["weight"].tolist() == pytest.approx([5 / 12, 7 / 12])
    assert result["credited_conversions"].tolist() == pytest.approx([25 / 12, 35 / 12])


def test_three_channels_hand_computed() -> None:
    paths = {"a": (1, 4), "b": (1, 1), "b > a": (3, 2), "c > a > b": (4, 1)}
    result = shapley_channel_weights(paths_frame(paths))
    # Rates: r(a) = 0.2, r(b) = 0.5, r(ab) = 0.6, r(abc) = 0.8; {c}, {ac}, {bc} never seen: 0.
    # Worth: v(a) = 0.2, v(b) = 0.5, v(c) = 0, v(ab) = 1.3, v(ac) = 0.2, v(bc) = 0.5,
    # v(abc) = 2.1.
    # n = 3: weight 0!2!/3! = 1/3 for |S| = 0, 1!1!/3! = 1/6 for |S| = 1, 2!0!/3! = 1/3 for 2.
    # phi_a = 1/3 (0.2) + 1/6 (1.3 - 0.5) + 1/6 (0.2 - 0) + 1/3 (2.1 - 0.5) = 23/30
    # phi_b = 1/3 (0.5) + 1/6 (1.3 - 0.2) + 1/6 (0.5 - 0) + 1/3 (2.1 - 0.2) = 32/30
    # phi_c = 1/3 (0) + 1/6 (0.2 - 0.2) + 1/6 (0.5 - 0.5) + 1/3 (2.1 - 1.3) = 8/30
    # Sum 63/30 = 2.1 = v(abc). Weights 23/63, 32/63, 8/63 of 9 conversions.
    assert result["shapley_value"].tolist() == pytest.approx([23 / 30, 32 / 30, 8 / 30])
    assert result["weight"].tolist() == pytest.approx([23 / 63, 32 / 63, 8 / 63])
    assert result["credited_conversions"].tolist() == pytest.approx([23 / 7, 32 / 7, 8 / 7])


def test_a_channel_that_lowers_the_rate_still_gets_no_negative_value() -> None:
    paths = {"a": (1, 1), "a > b": (1, 3), "b": (0, 1)}
    result = shapley_channel_weights(paths_frame(paths))
    # r(a) = 1/2, r(b) = 0, r(ab) = 1/4: adding b to a halves its conversion rate. Still
    # phi_a = r(a) + r(ab) / 2 = 5/8 and phi_b = r(b) + r(ab) / 2 = 1/8: b earns its half of
    # what {a, b} converts, never less than 0. Weights 5/6, 1/6 of 2 conversions.
    assert result["shapley_value"].tolist() == pytest.approx([5 / 8, 1 / 8])
    assert result["weight"].tolist() == pytest.approx([5 / 6, 1 / 6])
    assert result["credited_conversions"].tolist() == pytest.approx([5 / 3, 1 / 3])


def test_channels_beyond_the_cap_fold_into_other() -> None:
    paths = {"a": (5, 5), "b > c": (3, 1), "d": (1, 1), "c > d": (0, 2)}
    # Conversions of journeys touching each channel: a 5, b 3, c 3, d 1. max_channels 3 keeps
    # 2: a, then b (tied with c, first by name); c and d become "other".
    assert fold_rare_channels(paths_frame(paths), max_channels=3) == {
        "a": "a",
        "b": "b",
        "c": "other",
        "d": "other",
    }
    result = shapley_channel_weights(paths_frame(paths), max_channels=3)
    # Rates: {a} 5/10 = 1/2, {b, other} 3/4, {other} ("d" and "c > d") 1/4; rest 0.
    # phi = sum over sets T holding the channel of r(T) / |T|:
    # phi_a = 1/2, phi_b = (3/4) / 2 = 3/8, phi_other = 1/4 + 3/8 = 5/8 (sum 3/2).
    # Weights 1/3, 1/4, 5/12 of 9 conversions.
    assert result["channel"].tolist() == ["a", "b", "other"]
    assert result["shapley_value"].tolist() == pytest.approx([1 / 2, 3 / 8, 5 / 8])
    assert result["weight"].tolist() == pytest.approx([1 / 3, 1 / 4, 5 / 12])
    assert result["credited_conversions"].tolist() == pytest.approx([3, 2.25, 3.75])


def test_folding_leaves_few_channels_alone_and_folds_an_existing_other() -> None:
    paths = paths_frame({"other > a": (4, 0), "b": (2, 1), "c": (1, 1)})
    assert fold_rare_channels(paths, max_channels=4) == {c: c for c in ("a", "b", "c", "other")}
    # Cap 3 keeps 2. A channel already called "other" is the catch-all, not ranked: a (4), b (2)
    # are kept and c joins it.
    assert fold_rare_channels(paths, max_channels=3) == {
        "a": "a",
        "b": "b",
        "c": "other",
        "other": "other",
    }
    # Folding into "rest" instead, "other" is an ordinary channel: a and other (4 each) are kept.
    assert fold_rare_channels(paths, max_channels=3, other_channel="rest") == {
        "a": "a",
        "b": "rest",
        "c": "rest",
        "other": "other",
    }


@pytest.mark.parametrize(
    ("max_channels", "other_channel", "message"),
    [
        (0, "other", "max_channels must be in 1..20"),
        (21, "other", "1..20"),
        (5, "Other", "is not a channel name"),
    ],
)
def test_folding_parameters_are_checked(
    max_channels: int, other_channel: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        shapley_channel_weights(paths_frame({"a": (1, 0)}), max_channels, other_channel)


def _rates(paths: dict[str, tuple[int, int]]) -> dict[frozenset[str], float]:
    """Conversion rate per observed channel set, tallied in plain Python."""
    tally: dict[frozenset[str], list[int]] = {}
    for path, (conv, non) in paths.items():
        counts = tally.setdefault(frozenset(path.split(" > ")), [0, 0])
        counts[0] += conv
        counts[1] += conv + non
    return {players: conv / journeys for players, (conv, journeys) in tally.items() if journeys}


def _worth(rates: dict[frozenset[str], float], coalition: frozenset[str]) -> float:
    return sum(rate for players, rate in rates.items() if players <= coalition)


def test_values_sum_to_the_worth_of_the_grand_coalition() -> None:
    rng = random.Random(11)
    paths = {
        "a": (rng.randint(1, 9), rng.randint(1, 9)),
        "c": (rng.randint(1, 9), rng.randint(1, 9)),
        "a > b": (rng.randint(1, 9), rng.randint(1, 9)),
        "b > c > b": (rng.randint(1, 9), rng.randint(1, 9)),
        "c > b > a": (rng.randint(1, 9), rng.randint(1, 9)),
    }
    result = shapley_channel_weights(paths_frame(paths))
    assert result["shapley_value"].sum() == pytest.approx(sum(_rates(paths).values()))
    assert result["weight"].sum() == pytest.approx(1)


def test_matches_brute_force_over_all_orderings_and_the_closed_form() -> None:
    rng = random.Random(5)
    players = ["p1", "p2", "p3", "p4", "p5"]
    paths = {
        " > ".join(rng.sample(players, rng.randint(1, 5))): (rng.randint(0, 9), rng.randint(0, 9))
        for _ in range(20)
    }
    rates = _rates(paths)
    expected = dict.fromkeys(players, 0.0)
    orderings = list(permutations(players))  # 5! = 120, each equally likely
    for ordering in orderings:
        coalition: frozenset[str] = frozenset()
        for player in ordering:
            joined = coalition | {player}
            marginal = _worth(rates, joined) - _worth(rates, coalition)
            expected[player] += marginal / len(orderings)
            coalition = joined
    result = by_channel(shapley_channel_weights(paths_frame(paths)), "shapley_value")
    assert result == pytest.approx(expected, abs=1e-12)
    # The same game in closed form: each set's rate is shared equally by its channels.
    closed_form = {
        player: sum(rate / len(players_) for players_, rate in rates.items() if player in players_)
        for player in players
    }
    assert result == pytest.approx(closed_form, abs=1e-12)


def test_renaming_and_reordering_channels_maps_results() -> None:
    rng = random.Random(3)
    paths = {
        " > ".join(rng.choices("abcd", k=rng.randint(1, 5))): (rng.randint(0, 3), rng.randint(0, 5))
        for _ in range(30)
    }
    renamed = {"a": "zeta", "b": "alpha", "c": "mid_2", "d": "b"}
    renamed_paths = {
        " > ".join(renamed[c] for c in path.split(" > ")): counts for path, counts in paths.items()
    }
    original = shapley_channel_weights(paths_frame(paths)).set_index("channel")
    shuffled = paths_frame(renamed_paths).sample(frac=1, random_state=3)
    result = shapley_channel_weights(shuffled).set_index("channel")
    assert result.index.tolist() == sorted(renamed.values())
    for old, new in renamed.items():
        assert result.loc[new].tolist() == pytest.approx(original.loc[old].tolist(), abs=1e-12)
    assert result["weight"].sum() == pytest.approx(1)


def test_no_conversions_gives_all_zero() -> None:
    result = shapley_channel_weights(paths_frame({"a > b": (0, 3), "b": (0, 1)}))
    assert result[["shapley_value", "weight", "credited_conversions"]].to_numpy().tolist() == [
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0],
    ]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            pd.DataFrame({"path": ["a"], "non_conversions": [1]}),
            r"lacks column\(s\) \['conversions'\]",
        ),
        (paths_frame({"a > b": (-2, 1)}), "conversions must be a whole number >= 0, got -2"),
    ],
)
def test_malformed_frames_are_rejected(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        shapley_channel_weights(frame)
