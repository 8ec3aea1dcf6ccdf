"""The day's trip plan: each travelling card visits one foreign country and leaves home."""

from __future__ import annotations

import random
from datetime import date

from pos_simulator.config import DayConfig
from pos_simulator.generate import pools_for
from pos_simulator.trips import plan_trips

CONFIG = DayConfig(seed=5, business_date=date(2026, 10, 14), transactions=1,
                   merchants=60, cards=800)  # fmt: skip


def test_travellers_visit_one_foreign_country_and_are_not_at_home() -> None:
    pools = pools_for(CONFIG)
    trips = plan_trips(random.Random("trips:1"), pools, abroad_share=0.3)
    visitors = [card for cards in trips.visiting.values() for card in cards]
    assert len(visitors) == len({card.index for card in visitors})  # one trip a card
    for country, cards in trips.visiting.items():
        assert all(card.country != country for card in cards)
    home = {card.index for cards in trips.at_home.values() for card in cards}
    assert home.isdisjoint(card.index for card in visitors)
    assert len(home) + len(visitors) == len(pools.cards)
    assert all(trips.at_home[code] for code in pools.cards_by_country)  # locals can still pay


def test_no_trips_when_no_card_present_spend_is_foreign() -> None:
    pools = pools_for(CONFIG)
    trips = plan_trips(random.Random("trips:1"), pools, abroad_share=0.0)
    assert not trips.visiting
    assert trips.at_home == pools.cards_by_country
