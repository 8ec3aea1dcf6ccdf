"""A merchant's terminals as shared suffixes give the ids its tuple of strings held.

Differential: `Merchant.terminals`, `terminal_suffixes` and `Kit.pick_terminal` against the
per-merchant tuple of ids they replace (restated here), drawn with the RNG left in the same
state, so the day's terminal ids and every later draw cannot change.
"""

from __future__ import annotations

import random
from datetime import date

import pytest

from pos_simulator.config import DayConfig
from pos_simulator.generate import pools_for
from pos_simulator.history import Reservoir
from pos_simulator.kit import Kit
from pos_simulator.pools import Merchant, terminal_suffixes
from pos_simulator.trips import plan_trips

CONFIG = DayConfig(seed=8, business_date=date(2026, 10, 14), transactions=1,
                   merchants=400, cards=300)  # fmt: skip


def _tuple_terminals(merchant: Merchant, count: int) -> tuple[str, ...]:
    """The replaced ids: `f"{merchant_id}-{prefix}{k:02d}"` for each of its terminals."""
    prefix = "W" if merchant.online else "T"
    return tuple(f"{merchant.merchant_id}-{prefix}{k:02d}" for k in range(1, count + 1))


@pytest.mark.parametrize("online", [False, True])
@pytest.mark.parametrize("count", [1, 2, 9, 10, 40])
def test_suffixes_are_shared_and_make_the_ids(online: bool, count: int) -> None:
    suffixes = terminal_suffixes(online, count)
    assert suffixes is terminal_suffixes(online, count)
    prefix = "W" if online else "T"
    assert suffixes == tuple(f"-{prefix}{k:02d}" for k in range(1, count + 1))


def test_a_pools_terminals_are_the_ids_it_held_and_picked_alike() -> None:
    pools = pools_for(CONFIG)
    kit = Kit(random.Random(1), pools, 0, 1, Reservoir(random.Random(2)),
              plan_trips(random.Random(3), pools, 0.08))  # fmt: skip
    replay = random.Random(1)
    for merchant in pools.merchants:
        wanted = _tuple_terminals(merchant, len(merchant.terminal_suffixes))
        assert merchant.terminals == wanted
        assert merchant.online or len(merchant.terminals) <= merchant.mcc.terminals
        for _ in range(3):
            assert kit.pick_terminal(merchant) == wanted[int(replay.random() * len(wanted))]
    assert kit.rng.getstate() == replay.getstate()
    assert len({id(m.terminal_suffixes) for m in pools.merchants}) == len(
        {(m.online, len(m.terminal_suffixes)) for m in pools.merchants}
    )
