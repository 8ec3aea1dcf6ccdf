"""Whole-number shares: split a count by weights, exactly and without randomness.

Used for merchants per country, cards per country and transactions per time slot, so a
requested total is met exactly (N transactions means N journal rows) and small countries
do not flicker in and out with the seed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import accumulate


def largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Integers proportional to `weights` that sum to `total` (Hamilton's method).

    Ties go to the earlier weight, so the result depends only on the inputs' order.
    """
    weight_sum = sum(weights)
    if total < 0 or weight_sum <= 0:
        raise ValueError("need a non-negative total and a positive weight sum")
    quotas = [total * weight / weight_sum for weight in weights]
    counts = [int(quota) for quota in quotas]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - quotas[i], i))
    for index in by_remainder[: total - sum(counts)]:
        counts[index] += 1
    return counts


def with_minimum_one(counts: list[int], needed: Sequence[int]) -> list[int]:
    """Give each index in `needed` at least one, taken from the largest counts."""
    result = list(counts)
    for index in needed:
        if result[index] == 0:
            donor = max(range(len(result)), key=lambda i: (result[i], -i))
            if result[donor] <= 1:
                continue  # nothing to spare: too few items to cover every index
            result[donor] -= 1
            result[index] = 1
    return result


def cumulative(counts: Iterable[float]) -> list[float]:
    """Running sums from 0.0, added in order (C's loop, not Python's: a 50,000-merchant
    day sums a list this long for each of its 96 slots)."""
    sums = list(accumulate(counts, initial=0.0))
    del sums[0]
    return sums
