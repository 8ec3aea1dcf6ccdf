"""The packed card pool gives back the cards the tuple of `Card`s held, drawn the same way.

Differential: `CardPool`/`CardsAt` against the tuples they replace (every index, slice and
comparison), and the pool builder against the per-card loop it replaced, with the RNG left
in the same state; the day's trips against the plan drawn from a tuple pool.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos_simulator import cards
from pos_simulator.allocation import largest_remainder, with_minimum_one
from pos_simulator.cards import Card, CardPool, CardsAt, pool_indices
from pos_simulator.config import DayConfig
from pos_simulator.countries import COUNTRIES
from pos_simulator.generate import pools_for
from pos_simulator.pools import Pools, _cards
from pos_simulator.trips import plan_trips

PANS = st.text("0123456789", min_size=11, max_size=18).map(lambda body: "4" + body)
CODES = [country.code for country in COUNTRIES]
ROW = st.tuples(PANS, st.sampled_from(["01/27", "12/30"]), st.sampled_from(["visa", "jcb"]),
                st.sampled_from(["NL", "US", "JP"]))  # fmt: skip


def _packed(rows: list[tuple[str, str, str, str]]) -> tuple[CardPool, tuple[Card, ...]]:
    pool = CardPool()
    for pan, expiry, brand, country in rows:
        pool.append(pan, expiry, brand, country)
    return pool, tuple(Card(i, *row[:1], row[1], row[2], row[3]) for i, row in enumerate(rows))


@given(st.lists(ROW, min_size=1, max_size=25), st.data())
def test_a_card_pool_is_the_tuple_of_its_cards(
    rows: list[tuple[str, str, str, str]], data: st.DataObject
) -> None:
    pool, wanted = _packed(rows)
    assert len(pool) == len(wanted) and tuple(pool) == wanted and pool == wanted
    for index in range(-len(wanted) - 2, len(wanted) + 2):
        if -len(wanted) <= index < len(wanted):
            assert pool[index] == wanted[index]
            assert pool.country(index % len(wanted)) == wanted[index].country
        else:
            with pytest.raises(IndexError):
                pool[index]
    low, high = data.draw(st.integers(-30, 30)), data.draw(st.integers(-30, 30))
    step = data.draw(st.sampled_from([None, 1, 3, -1, -2]))
    assert pool[low:high:step] == wanted[low:high:step]
    picked = data.draw(st.lists(st.integers(0, len(wanted) - 1), max_size=10))
    some = CardsAt(pool, picked)
    assert some == tuple(wanted[i] for i in picked) and list(pool_indices(some)) == picked
    assert some[low:high:step] == tuple(wanted[i] for i in picked)[low:high:step]
    assert pool != wanted[:-1] and some != (*some, wanted[0])


def _issued_by_the_old_loop(
    rng: random.Random, count: int, needed_codes: set[str], year: int
) -> tuple[Card, ...]:
    """The builder as it was: a `Card` per card, a set of PAN strings."""
    shares = largest_remainder(count, [math.sqrt(c.merchant_weight) for c in COUNTRIES])
    needed = [i for i, c in enumerate(COUNTRIES) if c.code in needed_codes]
    shares = with_minimum_one(shares, needed)
    issued: list[Card] = []
    seen: set[str] = set()
    make_pan, make_expiry = cards.pan_maker(rng), cards.expiry_maker(rng, year)
    for country, share in zip(COUNTRIES, shares, strict=True):
        pick_brand, code = cards.brand_picker(rng, country.code), country.code
        for _ in range(share):
            brand = pick_brand()
            pan = make_pan(brand)
            while pan in seen:
                pan = make_pan(brand)
            seen.add(pan)
            issued.append(Card(len(issued), pan, make_expiry(), brand.name, code))
    return tuple(issued)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32), st.integers(10, 3000), st.sets(st.sampled_from(CODES)))
def test_the_packed_builder_issues_what_the_old_loop_issued(
    seed: int, count: int, codes: set[str]
) -> None:
    old_rng, new_rng = random.Random(seed), random.Random(seed)
    wanted = _issued_by_the_old_loop(old_rng, count, codes, 2026)
    pool, by_country = _cards(new_rng, count, codes, 2026)
    assert new_rng.getstate() == old_rng.getstate()
    assert tuple(pool) == wanted
    grouped: dict[str, list[Card]] = {}
    for card in wanted:
        grouped.setdefault(card.country, []).append(card)
    assert list(by_country) == list(grouped)
    assert all(tuple(by_country[code]) == tuple(found) for code, found in grouped.items())


def test_a_pan_drawn_twice_is_drawn_again_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """PANs from 40 numbers for 30 cards: most draws repeat one, and are drawn again."""

    def narrow(rng: random.Random) -> Callable[[cards.Brand], str]:
        return lambda brand: f"4{rng.randrange(40):02d}"

    monkeypatch.setattr(cards, "pan_maker", narrow)
    old_rng, new_rng = random.Random(3), random.Random(3)
    wanted = _issued_by_the_old_loop(old_rng, 30, {"NL"}, 2026)
    pool, _ = _cards(new_rng, 30, {"NL"}, 2026)
    assert tuple(pool) == wanted and new_rng.getstate() == old_rng.getstate()
    assert len({card.pan for card in wanted}) == 30


@pytest.mark.parametrize("abroad_share", [0.0, 0.08, 0.3])
def test_trips_from_the_packed_pool_are_the_trips_of_a_tuple_pool(abroad_share: float) -> None:
    pools = pools_for(DayConfig(seed=5, business_date=date(2026, 10, 14), transactions=1,
                                merchants=60, cards=800))  # fmt: skip
    as_tuples = Pools(
        pools.merchants,
        pools.accounts,
        tuple(pools.cards),
        {code: tuple(found) for code, found in pools.cards_by_country.items()},
    )
    packed = plan_trips(random.Random("trips:5"), pools, abroad_share)
    plain = plan_trips(random.Random("trips:5"), as_tuples, abroad_share)
    for field in ("visiting", "at_home", "foreign"):
        got, wanted = getattr(packed, field), getattr(plain, field)
        assert list(got) == list(wanted)
        assert all(tuple(got[code]) == tuple(wanted[code]) for code in wanted)


@given(st.lists(st.one_of(st.integers(1, 40), st.integers(1, 2**64 - 1)), max_size=200))
def test_a_number_set_answers_as_a_set(numbers: list[int]) -> None:
    packed, plain = cards.NumberSet(len(numbers)), set()
    for number in numbers:
        assert packed.add(number) == (number not in plain)
        plain.add(number)
