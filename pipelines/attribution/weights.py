"""The data-driven models' channel weights: learned per month and conversion type from the
warehouse's path aggregate (int_attribution_paths_aggregated), written back for dbt to join to
the touches (source attribution.channel_weights) with the allocation weights that make the
conversion-level credit add up to the model's channel results (pipelines/attribution/allocation)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

from pipelines.attribution.allocation import allocate_credit, converting_touches
from pipelines.attribution.markov import markov_channel_weights
from pipelines.attribution.paths import Touches
from pipelines.attribution.shapley import shapley_channel_weights
from pipelines.config import Attribution
from pipelines.warehouse import Warehouse
from pipelines.warehouse.schema import ensure_layout

PATHS_TABLE = "intermediate.int_attribution_paths_aggregated"
WEIGHTS_TABLE = "intermediate.attribution_channel_weights"
OTHER_CHANNEL = "other"
WEIGHT_COLUMNS = [
    "period",
    "conversion_type",
    "model",
    "channel",
    "model_channel",
    "model_value",
    "weight",
    "credited_conversions",
    "allocation_weight",
    "allocated_conversions",
]


def learn_channel_weights(paths: pd.DataFrame, attribution: Attribution) -> pd.DataFrame:
    """One row per month, conversion type, data-driven model and channel of the month's paths."""
    groups = [
        frame
        for (period, conversion_type), group in paths.groupby(["period", "conversion_type"])
        for frame in _group_weights(group, attribution)
        .assign(period=period, conversion_type=conversion_type)
        .pipe(lambda f: [f])
    ]
    if not groups:
        return pd.DataFrame(columns=WEIGHT_COLUMNS)
    return pd.concat(groups, ignore_index=True)[WEIGHT_COLUMNS]


def _group_weights(paths: pd.DataFrame, attribution: Attribution) -> pd.DataFrame:
    markov = markov_channel_weights(paths, order=attribution.markov_order).rename(
        columns={"removal_effect": "model_value"}
    )
    markov["model_channel"] = markov["channel"]
    shapley = shapley_channel_weights(
        paths, attribution.shapley_max_channels, OTHER_CHANNEL
    ).rename(columns={"shapley_value": "model_value", "channel": "model_channel"})
    # Every channel of the paths (Markov lists them all) gets the weight of the player it is
    # credited as: itself, or `other` when Shapley folded it.
    players = markov["channel"].isin(shapley["model_channel"])
    credited_as = markov["channel"].where(players, OTHER_CHANNEL)
    shapley = (
        markov[["channel"]].assign(model_channel=credited_as).merge(shapley, on="model_channel")
    )
    converting = converting_touches(paths)
    return pd.concat(
        [
            _with_allocation(converting, markov).assign(model="markov"),
            _with_allocation(converting, shapley).assign(model="shapley"),
        ],
        ignore_index=True,
    )


def _with_allocation(converting: Touches, weights: pd.DataFrame) -> pd.DataFrame:
    """A model's channel rows with the allocation weight and allocated conversions of theirs."""
    model_weights = weights.drop_duplicates("model_channel")
    allocation = allocate_credit(
        converting,
        dict(zip(weights["channel"], weights["model_channel"], strict=True)),
        dict(zip(model_weights["model_channel"], model_weights["weight"], strict=True)),
    )
    return weights.merge(allocation, on="model_channel")


def refresh_channel_weights(
    warehouse: Warehouse, first: date, last: date, attribution: Attribution
) -> pd.DataFrame:
    """Learn the weights of the months first..last (both included) and replace theirs in the
    warehouse in one transaction, so that re-running a month replaces exactly its rows."""
    ensure_layout(warehouse)
    paths = warehouse.query(
        f"select period, conversion_type, path, conversions, non_conversions from {PATHS_TABLE} "
        "where period >= ? and period <= ?",
        [first, last],
    )
    weights = learn_channel_weights(paths, attribution)
    weights["computed_at"] = datetime.now(UTC).replace(tzinfo=None)
    with warehouse.transaction():
        warehouse.execute(
            f"delete from {WEIGHTS_TABLE} where period >= ? and period <= ?", [first, last]
        )
        warehouse.insert_frame(WEIGHTS_TABLE, weights)
    return weights
