"""Who is travelling today: the cards abroad in person, and the ones at home.

A card seen at a terminal abroad is on a trip: its cardholder is in that one country all
business day, so every in-person purchase of it is there and none at home (online shopping
works from anywhere). Drawing a random foreign card for each tourist purchase instead put
one card in two countries minutes apart, legitimate traffic that the impossible-travel rule
rightly flags. The plan is drawn once per day from its own seeded stream, so the traffic
stream is untouched by it and the day stays reproducible.
"""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from pos_simulator.cards import Card, CardPool, CardsAt, CardSequence, pool_indices
from pos_simulator.pools import Pools


@dataclass(frozen=True, slots=True)
class Trips:
    visiting: dict[str, Sequence[Card]]  # destination country -> the cards travelling there
    at_home: dict[str, Sequence[Card]]  # home country -> its cards not travelling today
    foreign: dict[str, Sequence[Card]]  # country -> every card issued elsewhere (online)

    def home_cards(self, country: str, pools: Pools) -> Sequence[Card]:
        """Cards of `country` whose holders are at home today (every card, if none)."""
        return self.at_home.get(country) or pools.cards_by_country.get(country) or pools.cards


def plan_trips(rng: random.Random, pools: Pools, abroad_share: float) -> Trips:
    """Send cards abroad so tourists and locals of a country buy about as often per card.

    A country whose in-person purchases are `abroad_share` foreign needs tourists in the ratio
    abroad/(1 - abroad) to its own cards. Each card travels to at most one country, and a
    country keeps at least one card at home so its locals can always pay.
    """
    destinations = sorted({m.country_code for m in pools.merchants if not m.online})
    ratio = abroad_share / (1.0 - abroad_share) if abroad_share < 1.0 else 1.0
    order = array("i", range(len(pools.cards)))  # the pool's cards by index: shuffled alike
    rng.shuffle(order)
    country_of = _country_of(pools.cards)
    travelling: set[int] = set()
    left = {code: len(found) for code, found in pools.cards_by_country.items()}
    visiting: dict[str, Sequence[Card]] = {}
    for country in destinations:
        wanted = math.ceil(ratio * len(pools.cards_by_country.get(country, ()))) if ratio else 0
        chosen = _travellers(order, country_of, (country, wanted), travelling, left)
        if chosen:
            visiting[country] = CardsAt(pools.cards, array("i", sorted(chosen)))
    at_home: dict[str, Sequence[Card]] = {
        code: CardsAt(pools.cards, _staying(pool_indices(found), travelling))
        for code, found in pools.cards_by_country.items()
    }
    return Trips(visiting, at_home, _foreign(pools, destinations))


def _staying(indices: Sequence[int], travelling: set[int]) -> Sequence[int]:
    if not travelling.intersection(indices):
        return indices
    return array("i", [index for index in indices if index not in travelling])


def _country_of(cards: Sequence[Card]) -> Callable[[int], str]:
    """Card `index`'s country; from a `CardPool` without building the card."""
    if isinstance(cards, CardPool):
        return cards.country
    return lambda index: cards[index].country


def _travellers(
    order: Sequence[int],
    country_of: Callable[[int], str],
    destination: tuple[str, int],
    travelling: set[int],
    left: dict[str, int],
) -> list[int]:
    """The first `wanted` cards of `order` (indices) that can travel to `country`."""
    country, wanted = destination
    chosen: list[int] = []
    for index in order:
        if len(chosen) >= wanted:
            break
        home = country_of(index)
        if home == country or index in travelling or left[home] <= 1:
            continue
        chosen.append(index)
        travelling.add(index)
        left[home] -= 1
    return chosen


def _foreign(pools: Pools, countries: Sequence[str]) -> dict[str, Sequence[Card]]:
    every = {m.country_code for m in pools.merchants} | set(countries)
    return {code: issued_elsewhere(pools, code) for code in sorted(every)}


def issued_elsewhere(pools: Pools, country: str) -> Sequence[Card]:
    """Every card not issued in `country` (the whole pool if none is), in pool order.

    The pool is issued country by country, so these are the pool minus one block, seen
    through `AllBut` rather than copied: a tuple per country held ~90 MB of references at
    500,000 cards. A pool whose country's cards are not one block gets a copy, as before."""
    own = pools.cards_by_country.get(country, ())
    if not own:
        return pools.cards
    start, stop = own[0].index, own[-1].index + 1
    if len(own) == len(pools.cards):
        return pools.cards
    if stop - start != len(own) or pools.cards[start] != own[0]:
        return tuple(card for card in pools.cards if card.country != country)
    return AllBut(pools.cards, start, stop)


class AllBut(CardSequence):
    """`cards[:start] + cards[stop:]` without the copy: the same items at the same indices."""

    __slots__ = ("_cards", "_len", "_skip", "_start")

    def __init__(self, cards: Sequence[Card], start: int, stop: int) -> None:
        self._cards, self._start, self._skip = cards, start, stop - start
        self._len = len(cards) - self._skip

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, index: int) -> Card: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Card, ...]: ...
    def __getitem__(self, index: int | slice) -> Card | tuple[Card, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(self._len)))
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError("card index out of range")
        return self._cards[index if index < self._start else index + self._skip]

    def __iter__(self) -> Iterator[Card]:
        cards = self._cards
        for index in range(self._len):
            yield cards[index if index < self._start else index + self._skip]
