"""Scoring curves: how an achievement ratio (1.0 = on target) becomes points (100 = on target)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


class RatioCurve(BaseModel):
    """Points in proportion to achievement, capped: with cap 1.2, at most 120 points."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["ratio"]
    cap: float = Field(gt=0)

    @property
    def max_achievement(self) -> float:
        return self.cap

    def score(self, achievement: np.ndarray) -> np.ndarray:
        return 100 * np.clip(achievement, 0, self.cap)


class PiecewiseCurve(BaseModel):
    """0 points at or below floor, 100 at target, stretch_score from stretch on, linear between.

    With a floor above 0, falling short of target costs more points than under a plain ratio."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["piecewise"]
    floor: float = Field(ge=0)
    target: float
    stretch: float
    stretch_score: float = Field(ge=100)

    @model_validator(mode="after")
    def _ordered(self) -> PiecewiseCurve:
        if not self.floor < self.target < self.stretch:
            raise ValueError(
                "needs floor < target < stretch, got "
                f"floor {self.floor}, target {self.target}, stretch {self.stretch}"
            )
        return self

    @property
    def max_achievement(self) -> float:
        return self.stretch

    def score(self, achievement: np.ndarray) -> np.ndarray:
        # np.interp holds the end values outside [floor, stretch]: 0 below, stretch_score above.
        return np.interp(
            achievement, [self.floor, self.target, self.stretch], [0.0, 100.0, self.stretch_score]
        )


Curve = Annotated[RatioCurve | PiecewiseCurve, Field(discriminator="type")]


def apply_curves(
    achievement: np.ndarray, curve_index: np.ndarray, curves: Sequence[Curve]
) -> np.ndarray:
    """Points for each achievement under its own curve (`curves[curve_index[i]]`)."""
    points = np.full(len(achievement), np.nan)
    for index, curve in enumerate(curves):
        rows = curve_index == index
        points[rows] = curve.score(achievement[rows])
    return points
