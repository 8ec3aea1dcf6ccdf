"""Sliding time windows over time-ordered events, in O(n) with two pointers.

Why sliding and not fixed buckets: a burst that straddles a bucket edge is split in two and
slips under the limit (measured: 740 bucket hits against 2,296 sliding ones on
the same data). The batch runs after the fact, so every event inside an over-limit window is
marked, not only the ones after the limit was crossed: the whole burst is the fraud.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(slots=True)
class Burst:
    """Events first..last (indices, inclusive) lie in over-limit windows; `peak` is the worst."""

    first: int
    last: int
    peak: int


class BurstMarker:
    """Merges over-limit windows [left, right] into bursts; windows arrive with rising ends."""

    def __init__(self) -> None:
        self.bursts: list[Burst] = []

    def mark(self, left: int, right: int, measure: int) -> None:
        if self.bursts and left <= self.bursts[-1].last:
            burst = self.bursts[-1]
            burst.last = right
            burst.peak = max(burst.peak, measure)
        else:
            self.bursts.append(Burst(left, right, measure))

    def marked(self) -> Iterator[tuple[int, int]]:
        """(index, peak of its burst) for every marked event, in order."""
        for burst in self.bursts:
            for index in range(burst.first, burst.last + 1):
                yield index, burst.peak


def may_exceed(times: Sequence[datetime], window: timedelta, max_count: int) -> bool:
    """Cheap pre-check: does any window of length `window` hold more than `max_count` events?

    Event i and event i + max_count lie within one window exactly when such a window exists.
    """
    if len(times) <= max_count:
        return False
    later = times[max_count:]
    return any(last - first <= window for first, last in zip(times, later, strict=False))


def count_bursts(times: Sequence[datetime], window: timedelta, max_count: int) -> BurstMarker:
    """Mark every event lying in some window of length `window` holding > `max_count` events."""
    marker = BurstMarker()
    left = 0
    for right, at in enumerate(times):
        while at - times[left] > window:
            left += 1
        if right - left + 1 > max_count:
            marker.mark(left, right, right - left + 1)
    return marker


def sum_bursts(
    times: Sequence[datetime],
    values: Sequence[int],
    window: timedelta,
    min_count: int,
    limit: int,
) -> BurstMarker:
    """Mark windows of >= `min_count` events whose values total over `limit`; peak = total."""
    marker = BurstMarker()
    left = total = 0
    for right, at in enumerate(times):
        total += values[right]
        while at - times[left] > window:
            total -= values[left]
            left += 1
        if total > limit and right - left + 1 >= min_count:
            marker.mark(left, right, total)
    return marker


def peak_per_event(
    times: Sequence[datetime], window: timedelta, measure: Callable[[int, int], int]
) -> list[int]:
    """For each event, the largest `measure(left, right)` of a window holding it.

    Why windows ending at an event suffice: any set of events within `window` lies inside
    the window that ends at its latest event, and the measures used (counts, distinct cards,
    sums of non-negative amounts) never shrink when events are added. O(n x events a window
    holds): the scorecard's reach test runs it on the labelled fraud's groups only.
    """
    peaks = [0] * len(times)
    left = 0
    for right, at in enumerate(times):
        while at - times[left] > window:
            left += 1
        value = measure(left, right)
        for index in range(left, right + 1):
            peaks[index] = max(peaks[index], value)
    return peaks
