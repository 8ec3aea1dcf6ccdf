"""The kit's merchants by country, held as pool indices, are the tuples they replace.

Differential: `Kit.merchants_where` and `Kit.far_merchants` against the tuples the kit built
before (restated here), every index and slice, and a pick from each drawn alike.
"""

from __future__ import annotations

import random
from datetime import date

from pos_simulator.config import DayConfig
from pos_simulator.countries import BY_CODE, distance_km
from pos_simulator.generate import pools_for
from pos_simulator.history import Reservoir
from pos_simulator.kit import FAR_KM, Kit
from pos_simulator.pools import Merchant, Pools
from pos_simulator.trips import plan_trips

CONFIG = DayConfig(seed=6, business_date=date(2026, 10, 14), transactions=1,
                   merchants=500, cards=300)  # fmt: skip


def _tuple_where(pools: Pools, country: str, kind: str) -> tuple[Merchant, ...]:
    return tuple(
        m
        for m in pools.merchants
        if m.country.code == country and not m.online and (kind == "present" or m.mcc.high_value)
    )


def _tuple_far(pools: Pools, country: str) -> tuple[Merchant, ...]:
    home = BY_CODE[country]
    present = [m for m in pools.merchants if not m.online]
    far = tuple(m for m in present if distance_km(home, m.country) > FAR_KM)
    if not far:
        farthest = max(distance_km(home, m.country) for m in present)
        far = tuple(m for m in present if distance_km(home, m.country) == farthest)
    return far


def test_the_kits_merchants_by_country_are_the_tuples_it_built() -> None:
    pools = pools_for(CONFIG)
    kit = Kit(random.Random(1), pools, 0, 1, Reservoir(random.Random(2)),
              plan_trips(random.Random(3), pools, 0.08))  # fmt: skip
    replay = random.Random(1)
    for country in sorted({m.country_code for m in pools.merchants}):
        views = [kit.merchants_where(country, kind) for kind in ("present", "high_value")]
        wanted = [_tuple_where(pools, country, kind) for kind in ("present", "high_value")]
        views.append(kit.far_merchants(country))
        wanted.append(_tuple_far(pools, country))
        for view, merchants in zip(views, wanted, strict=True):
            assert len(view) == len(merchants) and bool(view) == bool(merchants)
            assert tuple(view) == merchants and view[1:-1] == merchants[1:-1]
            assert all(view[i] is merchants[i] for i in range(-len(merchants), len(merchants)))
            if merchants:
                assert kit.pick(view) is merchants[int(replay.random() * len(merchants))]
    assert kit.rng.getstate() == replay.getstate()
