"""Time-of-day shapes: relative traffic per local hour (0..23) for each kind of business.

A zero means closed, so the non-zero hours are a category's opening hours. The numbers are
judgement, not measurement: lunch and dinner peaks for restaurants, commuter peaks for
transport, late nights for bars and casinos, evenings for online shops.
"""

from __future__ import annotations

from typing import Final

HourShape = tuple[int, ...]

SHAPES: Final[dict[str, HourShape]] = {
    #            0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15 16 17 18 19 20 21 22 23
    "retail": (0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 5, 7, 8, 8, 8, 8, 8, 9, 9, 7, 5, 2, 0, 0),
    "grocery": (0, 0, 0, 0, 0, 0, 0, 2, 4, 5, 6, 6, 7, 6, 5, 5, 6, 8, 9, 8, 5, 3, 1, 0),
    "restaurant": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 9, 8, 3, 1, 1, 2, 6, 9, 8, 5, 2, 0),
    "bar": (6, 4, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 4, 6, 7, 8, 9, 9, 8),
    "fast_food": (1, 1, 0, 0, 0, 0, 1, 2, 3, 2, 3, 6, 9, 7, 3, 2, 3, 5, 7, 6, 4, 3, 2, 1),
    "fuel": (1, 1, 0, 0, 0, 1, 3, 6, 7, 6, 5, 5, 6, 5, 5, 5, 6, 7, 7, 5, 4, 3, 2, 1),
    "transport": (1, 0, 0, 0, 0, 1, 4, 9, 9, 5, 4, 4, 4, 4, 4, 5, 7, 9, 8, 5, 4, 3, 2, 2),
    "online": (3, 2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 6, 5, 5, 5, 5, 6, 7, 8, 9, 9, 7, 5),
    "lodging": (1, 1, 0, 0, 0, 1, 2, 4, 6, 6, 5, 3, 3, 3, 4, 6, 7, 6, 5, 4, 3, 2, 2, 1),
    "services": (0, 0, 0, 0, 0, 0, 0, 0, 3, 7, 8, 8, 6, 7, 8, 8, 7, 5, 2, 0, 0, 0, 0, 0),
    "entertainment": (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 4, 4, 4, 4, 5, 6, 8, 9, 9, 7, 4, 2),
    "casino": (6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 5, 6, 7, 8, 8, 8, 7),
    "always": (1,) * 24,
}

# Each shape's weights as floats, one tuple a shape that every merchant of it shares. A float
# weight times a merchant's size is the very double the int weight times it is (CPython turns
# the int into that float first), so the day's sums do not change.
HourWeights = tuple[float, ...]
SHAPE_WEIGHTS: Final[dict[str, HourWeights]] = {
    name: tuple(float(weight) for weight in shape) for name, shape in SHAPES.items()
}

# Local hours that count as "night" for the high-risk-MCC-at-night scenario.
NIGHT_HOURS: Final = frozenset(range(0, 5))


def opening_hours(shape: str) -> tuple[int, ...]:
    """The local hours in which a business of this shape takes payments."""
    return tuple(hour for hour, weight in enumerate(SHAPES[shape]) if weight > 0)
