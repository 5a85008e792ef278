"""The squarified treemap layout: areas follow the weights, rectangles tile the box, near-square."""

from __future__ import annotations

import itertools

import pytest

from shared.services.treemap import Rect, squarify

BOX = Rect(10, 20, 1000, 560)


def _overlap(a: Rect, b: Rect) -> float:
    w = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    h = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    return max(0.0, w) * max(0.0, h)


@pytest.mark.parametrize(
    "weights",
    [[6, 6, 4, 3, 2, 2, 1], [27525, 27125, 26925, 17295, 120], [1], [5, 5], list(range(1, 40))],
)
def test_areas_are_proportional_and_the_box_is_tiled(weights):
    rects = squarify(weights, BOX)

    assert len(rects) == len(weights)
    total = sum(weights)
    for weight, rect in zip(weights, rects, strict=True):
        assert rect.area == pytest.approx(BOX.area * weight / total, rel=1e-6)
        assert rect.x >= BOX.x - 1e-6 and rect.y >= BOX.y - 1e-6
        assert rect.x + rect.w <= BOX.x + BOX.w + 1e-6 and rect.y + rect.h <= BOX.y + BOX.h + 1e-6
    for a, b in itertools.combinations(rects, 2):
        assert _overlap(a, b) < 1e-6
    assert sum(r.area for r in rects) == pytest.approx(BOX.area)


def test_rectangles_stay_close_to_squares():
    # The paper's example: a slice-and-dice layout would give ratios up to 36; squarified stays < 3.
    rects = squarify([6, 6, 4, 3, 2, 2, 1], Rect(0, 0, 6, 4))
    assert max(max(r.w / r.h, r.h / r.w) for r in rects) < 3


def test_zero_weights_and_empty_input():
    rects = squarify([0, 3, 0, 1], BOX)
    assert rects[0].area == 0 and rects[2].area == 0
    assert rects[1].area == pytest.approx(BOX.area * 0.75) and rects[3].area == pytest.approx(BOX.area * 0.25)
    assert squarify([], BOX) == []
    assert all(r.area == 0 for r in squarify([0, 0], BOX))
    with pytest.raises(ValueError, match=">= 0"):
        squarify([1, -1], BOX)
