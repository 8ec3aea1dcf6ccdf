"""A merchant's hour weights as its shape and size give the doubles its 24-float tuple held.

Differential: `Merchant.hour_weight` and a `Weighing` built from shapes and sizes against
the per-merchant tuples they replace (the old `hour_weights`, the old table of tuples and
its sums, restated here), so the day's totals, running sums and picks cannot change.
"""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_simulator.config import DayConfig
from pos_simulator.fraud import SCENARIOS, Scenario
from pos_simulator.generate import pools_for
from pos_simulator.pools import Merchant
from pos_simulator.shapes import NIGHT_HOURS, SHAPE_WEIGHTS, SHAPES
from pos_simulator.streams import InstantStream, SlotClock, Weighing, hour_sums, open_hours

Row = tuple[float, ...]
Sums = tuple[list[float], list[list[float]]]  # a slot's totals, its running sums


def _tuple_weights(shape: tuple[int, ...], size: float) -> Row:
    """The replaced `pools.hour_weights`: int weight times size, one float a distinct weight."""
    products = {weight: weight * size for weight in shape}
    return tuple([products[weight] for weight in shape])


def _same_doubles(got: Row | list[float], wanted: Row | list[float]) -> bool:
    """Bit for bit (0.0 and -0.0 compare equal, their hex does not)."""
    return [x.hex() for x in got] == [x.hex() for x in wanted]


@given(st.sampled_from(sorted(SHAPES)), st.floats(1e-9, 1e9))
def test_a_float_shape_times_a_size_is_the_int_weight_times_it(name: str, size: float) -> None:
    packed = tuple(SHAPE_WEIGHTS[name][hour] * size for hour in range(24))
    assert _same_doubles(packed, _tuple_weights(SHAPES[name], size))


def _tuple_row(merchant: Merchant, scenario: Scenario | None) -> Row:
    """What the old table held for a merchant: its `hour_weights`, or the night's 1s and 0s."""
    if scenario is not None and scenario.name == "high_risk_mcc_night":
        return tuple(1.0 if hour in NIGHT_HOURS else 0.0 for hour in range(24))
    shape = SHAPES["online" if merchant.online else merchant.mcc.shape]
    return _tuple_weights(shape, merchant.size)


def _tuple_sums(rows: list[Row], merchants: list[Merchant], clock: SlotClock) -> Sums:
    """The old `Weighing`'s totals and running sums, as Python loops over the tuples."""
    by_zone: dict[str, list[float]] = {}
    for merchant, row in zip(merchants, rows, strict=True):
        sums = by_zone.setdefault(merchant.timezone, [0.0] * 24)
        for hour in range(24):
            sums[hour] += row[hour]
    totals, cums = [], []
    for slot in range(clock.slot_count):
        totals.append(sum(sums[clock.hour(slot, zone)] for zone, sums in by_zone.items()))
        running, cum = 0.0, []
        for merchant, row in zip(merchants, rows, strict=True):
            running += row[clock.hour(slot, merchant.timezone)]
            cum.append(running)
        cums.append(cum)
    return totals, cums


@pytest.mark.parametrize("name", ["legit", *SCENARIOS])
@pytest.mark.parametrize(("day", "zone"), [(date(2026, 3, 29), "Europe/Berlin"),
                                           (date(2026, 10, 14), "Europe/Amsterdam")])  # fmt: skip
def test_a_weighing_sums_the_doubles_the_tuples_summed(name: str, day: date, zone: str) -> None:
    config = DayConfig(seed=5, business_date=day, transactions=1, merchants=120, cards=400,
                       timezone=zone)  # fmt: skip
    pools = pools_for(config)
    clock = SlotClock(config.day, (m.timezone for m in pools.merchants))
    scenario = SCENARIOS.get(name)
    merchants = [m for m in pools.merchants if scenario is None or scenario.eligible(m)]
    rows = [_tuple_row(merchant, scenario) for merchant in merchants]
    for merchant, row in zip(merchants, rows, strict=True):
        if scenario is None:
            assert _same_doubles(tuple(merchant.hour_weight(h) for h in range(24)), row)
    weigh = open_hours if scenario is None else scenario.weigh
    totals, cums = _tuple_sums(rows, merchants, clock)
    for packed in (False, True):
        weighing = Weighing(merchants, weigh, clock, packed=packed)
        assert _same_doubles(weighing.totals, totals)
        for slot in range(clock.slot_count):
            assert _same_doubles(list(weighing.cumulative(slot)), cums[slot])
    rng, replay = random.Random(3), random.Random(3)
    picked = list(InstantStream(rng, 400, Weighing(merchants, weigh, clock)))
    old = _TupleWeighing(merchants, clock, (totals, cums))
    assert picked == list(InstantStream(replay, 400, old))
    assert rng.getstate() == replay.getstate()


class _TupleWeighing(Weighing):
    """The old table's sums, handed to a stream as a `Weighing` would hand its own."""

    def __init__(self, merchants: list[Merchant], clock: SlotClock, sums: Sums) -> None:
        self.merchants, self._clock = merchants, clock
        self.totals, self._tuple_cums = sums

    def cumulative(self, slot: int) -> list[float]:
        return self._tuple_cums[slot]


@given(st.lists(st.tuples(st.sampled_from(sorted(SHAPE_WEIGHTS)), st.floats(0, 1e6)), max_size=30))
def test_hour_sums_add_the_products_as_the_loop_did(rows: list[tuple[str, float]]) -> None:
    sums = [0.0] * 24
    for name, size in rows:
        weights = _tuple_weights(SHAPES[name], size)
        for hour in range(24):
            sums[hour] += weights[hour]
    shapes, scales = [SHAPE_WEIGHTS[name] for name, _ in rows], [size for _, size in rows]
    assert _same_doubles(hour_sums(shapes, scales), sums)
