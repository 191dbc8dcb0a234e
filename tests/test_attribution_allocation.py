"""The data-driven models' conversion-level allocation: hand-computed fits, the cases no sharing can
meet, and invariants on random paths."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from pipelines.attribution.allocation import COLUMNS, allocate_credit, converting_touches
from tests.attribution_paths import by_channel, paths_frame


def allocate(paths: dict[str, tuple[int, int]], weights: dict[str, float]) -> pd.DataFrame:
    """The allocation with every channel credited as itself."""
    converting = converting_touches(paths_frame(paths))
    return allocate_credit(converting, {c: c for c in weights}, weights).rename(
        columns={"model_channel": "channel"}
    )


def share(result: pd.DataFrame, channel: str, among: list[str]) -> float:
    """`channel`'s share of a conversion whose path holds the channels `among`."""
    weight = by_channel(result, "allocation_weight")
    return weight[channel] / sum(weight[c] for c in among)


def test_a_channel_alone_on_a_path_takes_less_where_it_shares():
    """'a > b' x 2, 'a' x 1, 'c' x 1; weights a 3/8, b 3/8, c 1/4 of 4 conversions: targets a 1.5,
    b 1.5, c 1. Raw-weight sharing gives 'a > b' 1/2 each: a 1 + 2 x 1/2 = 2, b 1 (off by 1/2).
    'a' gives a 1 whatever the weights, so 'a > b' must give a 1/2 over its 2 conversions: a share
    of 1/4 (b 3/4) meets a 1.5 and b 1.5; c's 1 is met by 'c'."""
    result = allocate(
        {"a > b": (2, 3), "a": (1, 0), "c": (1, 1)}, {"a": 3 / 8, "b": 3 / 8, "c": 1 / 4}
    )
    assert list(result.columns) == ["channel", *COLUMNS[1:]]
    assert share(result, "a", ["a", "b"]) == pytest.approx(1 / 4, abs=1e-9)
    assert by_channel(result, "allocated_conversions") == pytest.approx(
        {"a": 1.5, "b": 1.5, "c": 1}, abs=1e-9
    )
    assert result["allocation_weight"].sum() == pytest.approx(1)


def test_forced_credit_above_a_target_is_kept_and_the_rest_fit_in_proportion():
    """March orders of tests/test_kpis.py under Markov: 'paid_search > email' 1, 'paid_search' 3,
    'direct' 1, 'display' 1; weights 4/7, 1/7, 1/7, 1/7 of 6: targets 24/7, 6/7, 6/7, 6/7.
    Alone on their paths, paid_search takes 3, direct and display 1 each (above 6/7: kept, every
    conversion sums to 1). IPF scales paid_search by (24/7) / (3 + x) and email by
    (6/7) / (1 - x), x being paid_search's share of 'paid_search > email'; it settles where both
    scale alike: 24 (1 - x) = 6 (3 + x), x = 1/5. Credited: paid_search 3.2, email 0.8, both 14/15
    of their targets (raw weights: x = 4/5, paid_search 3.8, email 0.2)."""
    result = allocate(
        {"paid_search > email": (1, 0), "paid_search": (3, 0), "direct": (1, 0), "display": (1, 0)},
        {"paid_search": 4 / 7, "email": 1 / 7, "direct": 1 / 7, "display": 1 / 7},
    )
    assert share(result, "paid_search", ["paid_search", "email"]) == pytest.approx(0.2, abs=1e-9)
    assert by_channel(result, "allocated_conversions") == pytest.approx(
        {"paid_search": 3.2, "email": 0.8, "direct": 1, "display": 1}, abs=1e-9
    )


def test_a_share_that_must_vanish_approaches_zero():
    """The same paths under Shapley: weights 3/8, 1/8, 1/4, 1/4, targets 2.25, 0.75, 1.5, 1.5.
    paid_search already has 3 > 2.25 from its own paths, so 'paid_search > email' should go to
    email whole: the least total gap, |3 - 2.25| + |1 - 0.75| + 2 x |1 - 1.5| = 2. IPF reaches it
    only in the limit (x about 3 / (4 t) after t steps); each conversion still sums to 1."""
    result = allocate(
        {"paid_search > email": (1, 0), "paid_search": (3, 0), "direct": (1, 0), "display": (1, 0)},
        {"paid_search": 3 / 8, "email": 1 / 8, "direct": 1 / 4, "display": 1 / 4},
    )
    allocated = by_channel(result, "allocated_conversions")
    assert share(result, "paid_search", ["paid_search", "email"]) < 1e-3
    assert allocated == pytest.approx(
        {"paid_search": 3, "email": 1, "direct": 1, "display": 1}, abs=1e-3
    )
    assert sum(allocated.values()) == pytest.approx(6, abs=1e-12)


def test_a_channel_on_no_converting_path_gets_nothing_and_its_target_goes_to_the_others():
    """c only ends lost journeys yet weighs 1/2 (a Markov chain can do that): no conversion can
    credit it. Its target is shared by a and b in proportion to their weights, 1/2 each of the
    one conversion; c's allocation weight is 0."""
    result = allocate({"a > b": (1, 0), "c": (0, 1)}, {"a": 0.25, "b": 0.25, "c": 0.5})
    assert by_channel(result, "allocated_conversions") == pytest.approx(
        {"a": 0.5, "b": 0.5, "c": 0}
    )
    assert by_channel(result, "allocation_weight")["c"] == 0


def test_a_path_whose_channels_all_weigh_zero_is_credited_linearly():
    # 'a > b > a': a 2/3, b 1/3 (dbt shares it by touches); 'c' gives c its one conversion.
    result = allocate({"a > b > a": (1, 0), "c": (1, 0)}, {"a": 0.0, "b": 0.0, "c": 1.0})
    assert by_channel(result, "allocated_conversions") == pytest.approx(
        {"a": 2 / 3, "b": 1 / 3, "c": 1}
    )
    assert by_channel(result, "allocation_weight") == {"a": 0, "b": 0, "c": 1}


def test_no_conversions_allocate_nothing():
    result = allocate({"a > b": (0, 4)}, {"a": 0.0, "b": 0.0})
    assert result[["allocation_weight", "allocated_conversions"]].to_numpy().tolist() == [
        [0, 0],
        [0, 0],
    ]


def test_folded_channels_are_fitted_as_their_model_channel():
    """Shapley's `other` (b and c folded) is one player: 'a > b' and 'a > c' are both {a, other},
    3 conversions with 'a' 1: targets a 2, other 2 of 4 -> a's share of {a, other} is 1/3."""
    paths = converting_touches(paths_frame({"a > b": (2, 0), "a > c": (1, 0), "a": (1, 0)}))
    result = allocate_credit(
        paths, {"a": "a", "b": "other", "c": "other"}, {"a": 0.5, "other": 0.5}
    )
    allocated = dict(zip(result["model_channel"], result["allocated_conversions"], strict=True))
    assert allocated == pytest.approx({"a": 2, "other": 2}, abs=1e-9)


def random_paths(rng: random.Random, channels: str) -> dict[str, tuple[int, int]]:
    return {
        " > ".join(rng.choices(channels, k=rng.randint(1, 4))): (
            rng.randint(0, 5),
            rng.randint(0, 5),
        )
        for _ in range(40)
    }


@pytest.mark.parametrize("seed", range(5))
def test_results_that_some_sharing_meets_are_met_exactly(seed: int):
    """Targets made from a random sharing (each path's conversions split by random positive
    channel weights) are feasible by construction: the fit meets them."""
    rng = random.Random(seed)
    paths = random_paths(rng, "abcdef")
    hidden = {c: rng.uniform(0.1, 1) for c in "abcdef"}
    credit = dict.fromkeys(hidden, 0.0)
    for path, (conversions, _) in paths.items():
        present = set(path.split(" > "))
        for channel in present:
            credit[channel] += conversions * hidden[channel] / sum(hidden[c] for c in present)
    total = sum(credit.values())
    result = allocate(paths, {c: value / total for c, value in credit.items()})
    assert by_channel(result, "allocated_conversions") == pytest.approx(credit, abs=1e-8)


@pytest.mark.parametrize("seed", range(5))
def test_any_weights_keep_conversions_whole_and_shrink_the_gap(seed: int):
    rng = random.Random(seed)
    paths = random_paths(rng, "abcdefg")
    weights = {c: rng.choice([0, rng.random()]) for c in "abcdefg"}
    weights = {c: w / sum(weights.values()) for c, w in weights.items()}
    total = sum(conversions for conversions, _ in paths.values())
    fitted = allocate(paths, weights)
    raw = {c: 0.0 for c in weights}  # raw-weight sharing, the fit's start
    for path, (conversions, _) in paths.items():
        present = set(path.split(" > "))
        weight = sum(weights[c] for c in present)
        touches = path.split(" > ")
        for channel in present:
            raw[channel] += conversions * (
                weights[channel] / weight if weight else touches.count(channel) / len(touches)
            )
    allocated = by_channel(fitted, "allocated_conversions")
    assert sum(allocated.values()) == pytest.approx(total)
    assert min(allocated.values()) >= 0
    gap = sum(abs(allocated[c] - total * weights[c]) for c in weights)
    assert gap <= sum(abs(raw[c] - total * weights[c]) for c in weights) + 1e-9
    assert (np.array(list(by_channel(fitted, "allocation_weight").values())) >= 0).all()


def test_more_channels_than_a_bitmask_holds():
    """70 channels, each alone on one path and paired with the next on another: every result,
    1 / 70 of 140 conversions = 2, is met by the channel's own path and half of each pair."""
    names = [f"c{i}" for i in range(70)]
    paths = {name: (1, 0) for name in names}
    paths |= {f"{a} > {b}": (1, 0) for a, b in zip(names, names[1:] + names[:1], strict=True)}
    result = allocate(paths, dict.fromkeys(names, 1 / 70))
    assert result["allocated_conversions"].tolist() == pytest.approx([2.0] * 70)
