"""Scoring curves: achievement ratio in, points out."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from pipelines.scoring.curves import Curve, PiecewiseCurve, RatioCurve, apply_curves

CAPPED = RatioCurve(type="ratio", cap=1.2)
STEEP = PiecewiseCurve(type="piecewise", floor=0.5, target=1.0, stretch=1.2, stretch_score=120)


def test_ratio_curve_is_100_x_achievement_capped() -> None:
    achievement = np.array([-0.2, 0.0, 0.5, 1.0, 1.2, 1.5])
    # 100 x achievement, clipped to [0, 1.2]: negatives score 0, beyond the cap 120.
    assert CAPPED.score(achievement).tolist() == pytest.approx([0, 0, 50, 100, 120, 120])
    assert CAPPED.max_achievement == 1.2


def test_piecewise_curve_at_floor_target_stretch_and_between() -> None:
    achievement = np.array([0.4, 0.5, 0.75, 1.0, 1.1, 1.2, 2.0])
    # below/at floor 0; 0.75 is halfway floor->target: 50; 1.1 is halfway target->stretch:
    # 100 + (120 - 100) / 2 = 110; at and beyond stretch: stretch_score 120.
    assert STEEP.score(achievement).tolist() == pytest.approx([0, 0, 50, 100, 110, 120, 120])
    assert STEEP.max_achievement == 1.2


@pytest.mark.parametrize(
    ("floor", "target", "stretch"), [(1.0, 1.0, 1.2), (0.5, 1.2, 1.2), (0.9, 0.8, 1.2)]
)
def test_piecewise_curve_needs_floor_below_target_below_stretch(
    floor: float, target: float, stretch: float
) -> None:
    with pytest.raises(ValidationError, match="needs floor < target < stretch"):
        PiecewiseCurve(
            type="piecewise", floor=floor, target=target, stretch=stretch, stretch_score=120
        )


def test_curve_type_selects_the_model() -> None:
    parsed = TypeAdapter(Curve).validate_python({"type": "ratio", "cap": 1.5})
    assert parsed == RatioCurve(type="ratio", cap=1.5)
    with pytest.raises(ValidationError):
        TypeAdapter(Curve).validate_python({"type": "sigmoid"})


def test_apply_curves_uses_each_rows_curve() -> None:
    achievement = np.array([0.75, 0.75, 1.5])
    # row 0 ratio: 75; row 1 piecewise: 50; row 2 ratio capped: 120
    assert apply_curves(achievement, np.array([0, 1, 0]), [CAPPED, STEEP]).tolist() == [75, 50, 120]
