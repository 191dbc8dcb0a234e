"""The two kinds of random draw every simulator makes: a category by weight, and a waiting time."""

from __future__ import annotations

import numpy as np


def draw(rng: np.random.Generator, weights: list[float] | np.ndarray, size: int) -> np.ndarray:
    """Codes 0..len(weights)-1 drawn with the given relative weights."""
    probabilities = np.asarray(weights, dtype=float)
    return rng.choice(len(probabilities), size, p=probabilities / probabilities.sum())


def waits(rng: np.random.Generator, mean: float, unit: int, size: int) -> np.ndarray:
    """Exponential waiting times with the given mean (in `unit` seconds), as whole seconds."""
    return (rng.exponential(mean, size) * unit).astype(np.int64)
