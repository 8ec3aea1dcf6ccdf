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
from collections.abc import Sequence
from dataclasses import dataclass

from pos_simulator.cards import Card
from pos_simulator.pools import Pools


@dataclass(frozen=True, slots=True)
class Trips:
    visiting: dict[str, tuple[Card, ...]]  # destination country -> the cards travelling there
    at_home: dict[str, tuple[Card, ...]]  # home country -> its cards not travelling today
    foreign: dict[str, tuple[Card, ...]]  # country -> every card issued elsewhere (online)

    def home_cards(self, country: str, pools: Pools) -> tuple[Card, ...]:
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
    order = list(pools.cards)
    rng.shuffle(order)
    travelling: set[int] = set()
    left = {code: len(found) for code, found in pools.cards_by_country.items()}
    visiting: dict[str, tuple[Card, ...]] = {}
    for country in destinations:
        wanted = math.ceil(ratio * len(pools.cards_by_country.get(country, ()))) if ratio else 0
        chosen = _travellers(order, country, wanted, travelling, left)
        if chosen:
            visiting[country] = tuple(sorted(chosen, key=lambda card: card.index))
    at_home = {
        code: tuple(card for card in found if card.index not in travelling)
        for code, found in pools.cards_by_country.items()
    }
    return Trips(visiting, at_home, _foreign(pools, destinations))


def _travellers(
    order: Sequence[Card], country: str, wanted: int, travelling: set[int], left: dict[str, int]
) -> list[Card]:
    chosen: list[Card] = []
    for card in order:
        if len(chosen) >= wanted:
            break
        if card.country == country or card.index in travelling or left[card.country] <= 1:
            continue
        chosen.append(card)
        travelling.add(card.index)
        left[card.country] -= 1
    return chosen


def _foreign(pools: Pools, countries: Sequence[str]) -> dict[str, tuple[Card, ...]]:
    every = {m.country_code for m in pools.merchants} | set(countries)
    return {
        code: tuple(card for card in pools.cards if card.country != code) or pools.cards
        for code in sorted(every)
    }
