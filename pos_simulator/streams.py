"""Time-ordered streams of (instant, merchant): where and when the day's events happen.

The day is cut into 15-minute slots. A stream's events are shared out among slots exactly
(largest remainder) in proportion to the slot's weight: the sum over eligible merchants of
their weight at the local hour each is in during that slot. Within a slot, events get
uniform instants and a merchant drawn by weight. Slots are produced one chunk at a time, so
memory stays flat however many events the day has.
"""

from __future__ import annotations

import math
import random
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import reduce
from operator import add, getitem, itemgetter, mul
from typing import NamedTuple
from zoneinfo import ZoneInfo

from pos_simulator.allocation import cumulative, largest_remainder
from pos_simulator.pools import Merchant
from pos_simulator.shapes import HourWeights
from pos_simulator.timeline import MS_PER_HOUR, MS_PER_MIN, BusinessDay, offset_minutes

SLOT_MS = 15 * MS_PER_MIN
CHUNK_EVENTS = 2048  # upper bound on events held at once per stream

# How a stream weighs a merchant: hour weights and a scale, its weight at local hour h being
# `weights[h] * scale` (a merchant's shape and size, or the night's 1s and 0s times 1.0).
Weigh = Callable[[Merchant], tuple[HourWeights, float]]


class Chunk(NamedTuple):
    slot: int
    instants: list[int]  # sorted
    merchants: list[Merchant]  # the stream's eligible merchants
    cum: Sequence[float]  # their cumulative weights in this slot
    draw: Callable[[], float]  # the stream's own uniform draws


class SlotClock:
    """Each timezone's local hour and UTC offset in each slot of the business day."""

    def __init__(self, day: BusinessDay, timezones: Iterable[str]) -> None:
        self.start_ms, self.end_ms = day.start_ms, day.end_ms
        self.slot_count = math.ceil((self.end_ms - self.start_ms) / SLOT_MS)
        self._zones = {name: ZoneInfo(name) for name in sorted(set(timezones))}
        self.offsets: list[dict[str, int | None]] = []  # per slot; None: DST change inside
        self._hours: list[dict[str, int]] = []
        for slot in range(self.slot_count):
            first, last = self.bounds(slot)
            offsets: dict[str, int | None] = {}
            hours: dict[str, int] = {}
            for name, zone in self._zones.items():
                at_start, at_end = offset_minutes(zone, first), offset_minutes(zone, last - 1)
                offsets[name] = at_start if at_start == at_end else None  # a DST change inside
                middle = (first + last) // 2 + at_start * MS_PER_MIN
                hours[name] = middle // MS_PER_HOUR % 24
            self.offsets.append(offsets)
            self._hours.append(hours)

    def bounds(self, slot: int) -> tuple[int, int]:
        first = self.start_ms + slot * SLOT_MS
        return first, min(first + SLOT_MS, self.end_ms)

    def hour(self, slot: int, timezone: str) -> int:
        return self._hours[slot][timezone]

    def hours(self, slot: int) -> Mapping[str, int]:
        """The local hour of each timezone during `slot`."""
        return self._hours[slot]

    def offset(self, timezone: str, ms: int) -> int:
        """UTC offset in minutes of `timezone` at `ms` (an instant inside the day)."""
        slot = min(max((ms - self.start_ms) // SLOT_MS, 0), self.slot_count - 1)
        known = self.offsets[slot][timezone]
        return known if known is not None else offset_minutes(self._zones[timezone], ms)


def anywhere(_: Merchant) -> bool:
    """Every merchant may take the stream's events."""
    return True


def open_hours(merchant: Merchant) -> tuple[HourWeights, float]:
    """Weigh a merchant by its own traffic: its shape and its size."""
    return merchant.hour_shape, merchant.size


def hour_sums(shapes: Sequence[HourWeights], scales: Sequence[float]) -> list[float]:
    """Each hour's weights (`shape[hour] * scale`) added up in the rows' order, from 0.0: the
    loop `sums[hour] += shape[hour] * scale`, run by `reduce` in C, one hour at a time."""
    return [reduce(add, map(mul, map(itemgetter(hour), shapes), scales), 0.0) for hour in range(24)]


class Weighing:
    """Merchants weighed by their local hour: each slot's total and cumulative weights.

    Streams that weigh the same merchants the same way share one (the day's purchases,
    refunds and voids), so its table is held once and a slot's sums are made once; it keeps
    the last `keep` slots' sums, as many as the streams sharing it can be apart."""

    def __init__(
        self,
        merchants: Sequence[Merchant],
        weigh: Weigh,
        clock: SlotClock,
        keep: int = 1,
        *,
        packed: bool = False,
    ) -> None:
        self.merchants, self._clock, self._keep = list(merchants), clock, keep
        self._packed = packed  # sums as 8-byte doubles, not float objects: for few picks
        # Each merchant's weights and scale: shared tuples and the merchants' own floats,
        # where a tuple of 24 products a merchant held ~20 MiB at 50,000 merchants.
        self._shapes: list[HourWeights] = []
        self._scales: list[float] = []
        for merchant in self.merchants:
            shape, scale = weigh(merchant)
            self._shapes.append(shape)
            self._scales.append(scale)
        # Each merchant's timezone as its place in a slot's `hours`, so that a slot's weights
        # are picked by `map` in C (the same floats, summed in the same order).
        zones = {zone: place for place, zone in enumerate(clock.hours(0))}
        places = [zones[merchant.timezone] for merchant in self.merchants]
        self._zone_of: Sequence[int] = bytes(places) if len(zones) < 256 else places
        self._cums: dict[tuple[int, ...], Sequence[float]] = {}
        self.totals = self._slot_totals()

    def _slot_totals(self) -> list[float]:
        by_zone: dict[str, tuple[list[HourWeights], list[float]]] = {}
        for merchant, shape, scale in zip(self.merchants, self._shapes, self._scales, strict=True):
            shapes, scales = by_zone.setdefault(merchant.timezone, ([], []))
            shapes.append(shape)
            scales.append(scale)
        sums_by_zone = {zone: hour_sums(*rows) for zone, rows in by_zone.items()}
        clock = self._clock
        return [
            sum(sums[clock.hour(slot, zone)] for zone, sums in sums_by_zone.items())
            for slot in range(clock.slot_count)
        ]

    def cumulative(self, slot: int) -> Sequence[float]:
        """The merchants' running sum of weights during `slot` (`packed`: in an array,
        the same doubles in a third of the memory, a little slower to bisect)."""
        key = tuple(self._clock.hours(slot).values())  # timezones in the same (sorted) order
        cum = self._cums.get(key)
        if cum is None:
            if len(self._cums) >= self._keep:
                del self._cums[next(iter(self._cums))]  # the oldest
            hours = map(key.__getitem__, self._zone_of)
            sums = cumulative(map(mul, map(getitem, self._shapes, hours), self._scales))
            cum = self._cums[key] = array("d", sums) if self._packed else sums
        return cum


class InstantStream:
    """`count` events over the day, ordered by instant, each with the merchant it happens at."""

    def __init__(self, rng: random.Random, count: int, weighing: Weighing) -> None:
        self._rng, self._clock, self._weighing = rng, weighing._clock, weighing
        totals = weighing.totals
        if count and not any(totals):
            raise ValueError("no eligible merchant can take these events at any hour")
        self._counts = largest_remainder(count, totals) if count else [0] * len(totals)

    def __iter__(self) -> Iterator[tuple[int, Merchant]]:
        for chunk in self.chunks():
            pick, merchants, cum, total = chunk.draw, chunk.merchants, chunk.cum, chunk.cum[-1]
            for ms in chunk.instants:
                yield ms, merchants[bisect_right(cum, pick() * total)]

    def chunks(self) -> Iterator[Chunk]:
        """The events in time order, at most CHUNK_EVENTS at a time.

        Each chunk carries sorted instants and what picking their merchants takes: the
        consumer draws `merchants[bisect_right(cum, draw() * cum[-1])]` per event (what
        `random.choices` does, minus building a list: this is the simulator's hot path).
        """
        clock, rng, weighing = self._clock, self._rng, self._weighing
        # Four slots in a row share their local hours (an hour's quarters), so the sums of
        # the last slot are kept for the next; keeping every hour's took 500 MB at 1M.
        for slot, count in enumerate(self._counts):
            if not count:
                continue
            cum = weighing.cumulative(slot)
            first, last = clock.bounds(slot)
            pieces = math.ceil(count / CHUNK_EVENTS)
            for j in range(pieces):
                n = count * (j + 1) // pieces - count * j // pieces
                low = first + (last - first) * j // pieces
                span = first + (last - first) * (j + 1) // pieces - low
                draw = rng.random
                instants = sorted([low + int(draw() * span) for _ in range(n)])
                yield Chunk(slot, instants, weighing.merchants, cum, draw)
