"""A squarified treemap layout (Bruls, Huizing and van Wijk, 2000): pure geometry, no drawing.

``squarify(weights, Rect(...))`` splits a rectangle into one rectangle per weight, each with an
area proportional to its weight, laid out in rows whose rectangles stay close to squares. The
report draws pillars in the page's rectangle and each pillar's clusters inside its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def area(self) -> float:
        return self.w * self.h

    def inset(self, left: float, top: float, right: float, bottom: float) -> Rect:
        """The rectangle shrunk by these margins (never below zero size)."""
        return Rect(
            self.x + left, self.y + top, max(0.0, self.w - left - right), max(0.0, self.h - top - bottom)
        )


def _worst(row: Sequence[float], side: float) -> float:
    """The worst aspect ratio of ``row`` (areas) laid along a side of length ``side``."""
    total = sum(row)
    if total <= 0 or side <= 0:
        return float("inf")
    return max(max(row) * side * side / (total * total), total * total / (side * side * min(row)))


def squarify(weights: Sequence[float], rect: Rect) -> list[Rect]:
    """One rectangle per weight (same order), areas proportional to the weights, filling ``rect``.

    Weights must be >= 0; a zero weight gets a zero-area rectangle. An empty list gives [].
    """
    if any(w < 0 for w in weights):
        raise ValueError("treemap weights must be >= 0")
    result: list[Rect] = [Rect(rect.x, rect.y, 0.0, 0.0)] * len(weights)
    total = sum(weights)
    if not weights or total <= 0 or rect.area <= 0:
        return result
    scale = rect.area / total
    order = sorted((i for i, w in enumerate(weights) if w > 0), key=lambda i: -weights[i])
    areas = [weights[i] * scale for i in order]
    x, y, w, h = rect.x, rect.y, rect.w, rect.h
    start = 0
    while start < len(areas):
        side = min(w, h)
        end = start + 1
        while end < len(areas) and _worst(areas[start : end + 1], side) <= _worst(areas[start:end], side):
            end += 1
        row = areas[start:end]
        row_total = sum(row)
        last = end == len(areas)
        if w >= h:  # a column on the left, as wide as the row's area needs
            width = w if last else row_total / h
            offset = y
            for position, area in zip(order[start:end], row, strict=True):
                height = area / width if width else 0.0
                result[position] = Rect(x, offset, width, height)
                offset += height
            x, w = x + width, w - width
        else:  # a row along the top
            height = h if last else row_total / w
            offset = x
            for position, area in zip(order[start:end], row, strict=True):
                width = area / height if height else 0.0
                result[position] = Rect(offset, y, width, height)
                offset += width
            y, h = y + height, h - height
        start = end
    return result
