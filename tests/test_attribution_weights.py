"""The learned weights as the warehouse gets them: one row per month, conversion type, model and
channel of the paths, folded channels carrying the weight of `other`."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.attribution.weights import learn_channel_weights
from pipelines.config import Attribution
from tests.attribution_paths import paths_frame


def test_every_channel_gets_a_row_and_folded_ones_share_other():
    paths = paths_frame({"a": (5, 5), "b > c": (3, 1), "d": (1, 1), "c > d": (0, 2)})
    paths = paths.assign(period=date(2025, 3, 1), conversion_type="order")
    weights = learn_channel_weights(paths, Attribution(shapley_max_channels=3))
    shapley = weights[weights["model"] == "shapley"].set_index("channel")
    # max 3 players keeps a and b (most conversions); c and d are credited as `other`, whose
    # Shapley value is r({other}) + r({b, other}) / 2 = 1/4 + 3/8 (see test_attribution_shapley)
    assert shapley["model_channel"].to_dict() == {"a": "a", "b": "b", "c": "other", "d": "other"}
    assert (
        shapley.loc["c", "model_value"] == shapley.loc["d", "model_value"] == pytest.approx(5 / 8)
    )
    markov = weights[weights["model"] == "markov"]
    assert sorted(markov["channel"]) == ["a", "b", "c", "d"]
    assert (markov["channel"] == markov["model_channel"]).all()
    assert set(weights["period"]) == {date(2025, 3, 1)}


def test_every_model_allocates_all_conversions_once():
    """Each model's allocated conversions add up to the month's conversions of the type, and
    folded channels carry their player's allocation (here: a alone on 5 of 9 conversions)."""
    paths = paths_frame({"a": (5, 5), "b > c": (3, 1), "d": (1, 1), "c > d": (0, 2)})
    paths = paths.assign(period=date(2025, 3, 1), conversion_type="order")
    weights = learn_channel_weights(paths, Attribution(shapley_max_channels=3))
    for _, model in weights.groupby("model"):
        players = model.drop_duplicates("model_channel")
        assert players["allocated_conversions"].sum() == pytest.approx(9)
        assert players["allocation_weight"].sum() == pytest.approx(1)
    shapley = weights[weights["model"] == "shapley"].set_index("channel")
    assert shapley.loc["c", "allocated_conversions"] == shapley.loc["d", "allocated_conversions"]
