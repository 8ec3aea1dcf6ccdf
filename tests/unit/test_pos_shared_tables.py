"""The simulator's shared tables (one copy where there were many) hold what the copies held.

Differential: `AllBut` against the tuple it replaces, and streams sharing a `Weighing`
against streams of their own, so the day's draws, sums and bytes cannot change (the hour
weights themselves: test_pos_hour_weights.py).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_simulator.cards import Card
from pos_simulator.config import DayConfig
from pos_simulator.fraud import SCENARIOS
from pos_simulator.generate import pools_for
from pos_simulator.pools import Merchant, Pools
from pos_simulator.streams import InstantStream, SlotClock, Weighing, anywhere, open_hours
from pos_simulator.trips import AllBut, issued_elsewhere, plan_trips

CONFIG = DayConfig(seed=5, business_date=date(2026, 10, 14), transactions=1,
                   merchants=60, cards=800)  # fmt: skip


def _cards(count: int) -> tuple[Card, ...]:
    return tuple(Card(i, f"{i:016d}", "01/30", "visa", "NL") for i in range(count))


@given(st.data())
def test_all_but_is_the_tuple_without_the_block(data: st.DataObject) -> None:
    cards = _cards(data.draw(st.integers(1, 40)))
    start = data.draw(st.integers(0, len(cards) - 1))
    stop = data.draw(st.integers(start + 1, len(cards)))
    view, copied = AllBut(cards, start, stop), cards[:start] + cards[stop:]
    assert len(view) == len(copied)
    assert tuple(view) == copied
    assert view == copied and view != (*copied, cards[0])  # equal as the tuple it is
    for index in range(-len(copied) - 2, len(copied) + 2):
        if -len(copied) <= index < len(copied):
            assert view[index] is copied[index]
        else:
            with pytest.raises(IndexError):
                view[index]
    low, high = data.draw(st.integers(-45, 45)), data.draw(st.integers(-45, 45))
    step = data.draw(st.sampled_from([None, 1, 2, -1, -3]))
    assert view[low:high:step] == copied[low:high:step]


def test_each_countrys_foreign_cards_are_every_cardissued_elsewhere() -> None:
    pools = pools_for(CONFIG)
    trips = plan_trips(random.Random("trips:5"), pools, 0.08)
    for code, cards in trips.foreign.items():
        wanted = tuple(card for card in pools.cards if card.country != code) or pools.cards
        assert tuple(cards) == wanted
        assert [cards[i] for i in range(len(cards))] == list(wanted)
    assert any(isinstance(cards, AllBut) for cards in trips.foreign.values())


def _pool(countries: str) -> Pools:
    cards = tuple(Card(i, f"{i:016d}", "01/30", "visa", c) for i, c in enumerate(countries))
    by_country: dict[str, list[Card]] = {}
    for card in cards:
        by_country.setdefault(card.country, []).append(card)
    return Pools((), (), cards, {code: tuple(found) for code, found in by_country.items()})


@pytest.mark.parametrize("countries", ["AAABBC", "AAAA", "ABAB", "BBBA", "C"])
@pytest.mark.parametrize("country", ["A", "B", "C", "D"])
def testissued_elsewhere_is_the_filtered_pool_or_the_whole_pool(
    countries: str, country: str
) -> None:
    pools = _pool(countries)
    wanted = tuple(card for card in pools.cards if card.country != country) or pools.cards
    assert tuple(issued_elsewhere(pools, country)) == wanted


def test_streams_sharing_a_weighing_draw_what_streams_of_their_own_draw() -> None:
    """Purchases, refunds, voids and amount spikes share one `Weighing` a day; interleaved as
    the day interleaves them, each stream yields the events it yields alone."""
    config = DayConfig(seed=9, business_date=date(2026, 10, 25), transactions=1,
                       merchants=80, cards=200)  # fmt: skip
    pools = pools_for(config)
    clock = SlotClock(config.day, (m.timezone for m in pools.merchants))

    def stream(name: str, count: int, weighing: Weighing) -> Iterator[tuple[int, Merchant]]:
        return iter(InstantStream(random.Random(name), count, weighing))

    sizes = {"legit": 5000, "refunds": 300, "voids": 200, "amount_spike": 12}
    alone = {
        name: list(stream(name, count, Weighing(pools.merchants, open_hours, clock)))
        for name, count in sizes.items()
    }
    shared = Weighing(pools.merchants, open_hours, clock, keep=2)
    streams = {name: stream(name, count, shared) for name, count in sizes.items()}
    together: dict[str, list[tuple[int, Merchant]]] = {name: [] for name in sizes}
    pending = {name: next(events) for name, events in streams.items()}
    while pending:  # always the earliest next event, as the day's heap releases them
        name = min(pending, key=lambda n: pending[n][0])
        together[name].append(pending[name])
        upcoming = next(streams[name], None)
        if upcoming is None:
            del pending[name]
        else:
            pending[name] = upcoming
    assert together == alone


def test_amount_spikes_share_the_purchases_weighing() -> None:
    """They weigh every merchant by its own hours, as purchases do (one weighing, not two)."""
    amount_spike = SCENARIOS["amount_spike"]
    assert (amount_spike.eligible, amount_spike.weigh) == (anywhere, open_hours)


def test_a_packed_weighing_holds_the_same_sums() -> None:
    config = DayConfig(seed=9, business_date=date(2026, 3, 29), transactions=1,
                       merchants=80, cards=200)  # fmt: skip
    pools = pools_for(config)
    clock = SlotClock(config.day, (m.timezone for m in pools.merchants))
    night = SCENARIOS["high_risk_mcc_night"].weigh
    plain = Weighing(pools.merchants, night, clock)
    packed = Weighing(pools.merchants, night, clock, packed=True)
    assert packed.totals == plain.totals
    for slot in range(clock.slot_count):
        assert list(packed.cumulative(slot)) == plain.cumulative(slot)
    assert list(InstantStream(random.Random(1), 500, packed)) == list(
        InstantStream(random.Random(1), 500, plain)
    )
