"""Conversion paths as the warehouse aggregates them, parsed once into flat integer arrays.

The input has one row per distinct path: `path` ("paid_search > email > direct", channels in time
order), `conversions` and `non_conversions` (journeys with that path that did / did not convert).
Hundreds of thousands of paths must parse in a fraction of a second, so touches become numpy
arrays (one entry per touch) rather than a Python tuple per path."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from pipelines.channels import CHANNEL_NAME, CHANNEL_NAME_PATTERN

SEPARATOR = " > "
ROW_START = "\n"  # cannot occur in a valid path
COUNT_COLUMNS = ("conversions", "non_conversions")

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Touches:
    """Every touch of every path: touch i is channel `channels[code[i]]` of input row `row[i]`.

    `channels` is sorted; rows are non-decreasing and a row's touches keep their time order. The
    counts are per input row."""

    channels: tuple[str, ...]
    row: IntArray
    code: IntArray
    conversions: IntArray
    non_conversions: IntArray

    @property
    def first(self) -> BoolArray:
        """Whether each touch opens its path."""
        return opens(self.row)

    @property
    def last(self) -> BoolArray:
        """Whether each touch closes its path."""
        return closes(self.row)

    def relabel(self, mapping: dict[str, str]) -> Touches:
        """Rename channels through `mapping` (several may merge into one)."""
        channels = tuple(sorted(set(mapping.values())))
        new_code = np.array([channels.index(mapping[name]) for name in self.channels], np.int64)
        return replace(self, channels=channels, code=new_code[self.code])

    def channel_sets(self) -> IntArray:
        """Each row's distinct channels as a bitmask (bit i: `channels[i]`); up to 62 channels."""
        return np.bitwise_or.reduceat(np.left_shift(1, self.code), np.flatnonzero(self.first))


def opens(row: IntArray) -> BoolArray:
    """Whether each entry of a non-decreasing row array is its row's first."""
    return np.diff(row, prepend=-1) != 0


def closes(row: IntArray) -> BoolArray:
    """Whether each entry of a non-decreasing row array is its row's last."""
    return np.diff(row, append=row[-1:] + 1) != 0


def parse_paths(paths: pd.DataFrame) -> Touches:
    """Validate a path frame and split its paths into touches.

    Raises ValueError naming the problem: a missing column, a count that is not a whole number
    >= 0, a path that is empty or not a string, or a channel not matching ^[a-z][a-z0-9_]*$."""
    missing = [c for c in ("path", *COUNT_COLUMNS) if c not in paths.columns]
    if missing:
        raise ValueError(f"path frame lacks column(s) {missing}")
    conversions, non_conversions = (_counts(paths, column) for column in COUNT_COLUMNS)
    values = paths["path"].tolist()
    if "" in values:
        raise ValueError(f"empty path in row {values.index('')}")
    # One split for the whole frame: each path's first token carries a ROW_START prefix, so row
    # boundaries come from the few distinct tokens instead of a Python loop over the rows.
    try:
        joined = ROW_START + (SEPARATOR + ROW_START).join(values)
    except TypeError:
        raise ValueError("path must be a string in every row") from None
    tokens = joined.split(SEPARATOR) if values else []
    token_code, distinct = pd.factorize(np.array(tokens, dtype=object))
    opens = np.array([token.startswith(ROW_START) for token in distinct], dtype=bool)
    names = [token.removeprefix(ROW_START) for token in distinct]
    channels = sorted(set(names))
    malformed = [name for name in channels if not CHANNEL_NAME.fullmatch(name)]
    if malformed:
        raise ValueError(
            f"malformed channel {malformed[0]!r}: channels match {CHANNEL_NAME_PATTERN} and are "
            f"joined by {SEPARATOR!r}"
        )
    first = opens[token_code]
    if first.sum() != len(values):
        raise ValueError("malformed path: a line break inside a path")
    channel_code = np.array([channels.index(name) for name in names], dtype=np.int64)
    return Touches(
        channels=tuple(channels),
        row=np.cumsum(first, dtype=np.int64) - 1,
        code=channel_code[token_code],
        conversions=conversions,
        non_conversions=non_conversions,
    )


def _counts(paths: pd.DataFrame, column: str) -> IntArray:
    if not pd.api.types.is_numeric_dtype(paths[column]):
        raise ValueError(f"{column} must be numeric, got {paths[column].dtype}")
    # Floats are accepted when whole: SQL sums can arrive as float (DuckDB HUGEINT, NUMERIC).
    counts = paths[column].to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(counts) | (counts != np.floor(counts)) | (counts < 0)
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(
            f"{column} must be a whole number >= 0, got {paths[column].iloc[row]} "
            f"for path {paths['path'].iloc[row]!r}"
        )
    return counts.astype(np.int64)
