"""Helpers for tests of the data-driven models: paths as the warehouse hands them over."""

from __future__ import annotations

import pandas as pd


def paths_frame(paths: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """{path: (conversions, non_conversions)} as int_attribution_paths_aggregated holds them."""
    return pd.DataFrame(
        [(path, conv, non) for path, (conv, non) in paths.items()],
        columns=["path", "conversions", "non_conversions"],
    )


def by_channel(result: pd.DataFrame, column: str) -> dict[str, float]:
    """{channel: value of `column`} of a model's result."""
    return dict(zip(result["channel"], result[column], strict=True))
