"""compromised_terminal without look-back history: a till is measured on the business date
itself (the median of its purchases per open hour), so a busy till's ordinary half hour is
not a burst, while a burst still trips a quiet or brand-new terminal."""

from __future__ import annotations

from datetime import datetime, timedelta

from settlement.domain.fraud import load_rulebook, screen_terminal
from settlement.domain.transactions import StagedTransaction
from tests.support.fraud_traffic import BUSINESS_DATE, Traffic

OPEN = datetime(2026, 11, 27, 7, 0)  # UTC, on the business date


def _till(traffic: Traffic, first_card: int, times: list[datetime]) -> list[StagedTransaction]:
    return [
        traffic.purchase(traffic.cards[first_card + n], at, "FR", 1_500, terminal="FR-T001-0")
        for n, at in enumerate(times)
    ]


def _every(minutes: float, hours: int) -> list[datetime]:
    count = int(hours * 60 / minutes)
    return [OPEN + timedelta(minutes=minutes * n) for n in range(count)]


def test_a_busy_till_is_measured_on_its_own_day() -> None:
    traffic = Traffic(seed=2, cards_count=400)
    busy = _every(3, 10)  # 20 cards an hour for 10 hours: 10 per 30 min is its usual
    rush = [OPEN + timedelta(hours=4, minutes=n) for n in range(12)]  # + 12 in 12 minutes
    day = sorted(_till(traffic, 0, busy) + _till(traffic, 200, rush), key=lambda t: t.transacted_at)
    assert screen_terminal(day, BUSINESS_DATE, load_rulebook()) == []
    strict = load_rulebook("[rules.compromised_terminal]\nbaseline_min_hours = 11\n")
    flags = screen_terminal(day, BUSINESS_DATE, strict)  # not open long enough: max_cards
    assert flags and flags[0].reason.endswith("(limit 8)")


def test_a_quiet_till_still_trips_on_a_burst() -> None:
    traffic = Traffic(seed=2, cards_count=400)
    quiet = _every(60, 8)  # one card an hour for 8 hours
    burst = [OPEN + timedelta(hours=3, minutes=10, seconds=40 * n) for n in range(12)]
    day = sorted(
        _till(traffic, 0, quiet) + _till(traffic, 100, burst), key=lambda t: t.transacted_at
    )
    flags = screen_terminal(day, BUSINESS_DATE, load_rulebook())
    assert {f.transaction_id for f in flags} >= {t.transaction_id for t in day[4:15]}
    assert flags[0].reason == "13 distinct cards within 30 min (limit 8)"


def test_a_burst_cannot_raise_its_own_limit() -> None:
    traffic = Traffic(seed=2, cards_count=400)
    # open four hours, two of them taken by the burst: the lower median ignores it
    times = [OPEN, OPEN + timedelta(hours=1)]
    times += [OPEN + timedelta(hours=2, minutes=40 + 2 * n) for n in range(24)]  # 09:40-10:26
    day = _till(traffic, 0, times)
    flags = screen_terminal(day, BUSINESS_DATE, load_rulebook())
    assert flags and all(f.reason.endswith("(limit 8)") for f in flags)


# A restaurant's till by local hour: a lunch and a dinner rush, quiet afternoons (the
# 2026-10-14 demo's Nice restaurant, 70 purchases); the median open hour takes 4.
RESTAURANT = {11: 4, 12: 9, 13: 11, 14: 2, 16: 1, 17: 2, 18: 4, 19: 21, 20: 9, 21: 5, 22: 2}


def _restaurant(traffic: Traffic) -> list[StagedTransaction]:
    times = [
        OPEN.replace(hour=hour) + timedelta(minutes=60 * n / count)
        for hour, count in RESTAURANT.items()
        for n in range(count)
    ]
    return _till(traffic, 0, times)


def test_a_restaurants_dinner_rush_is_its_usual_not_a_burst() -> None:
    traffic = Traffic(seed=2, cards_count=400)
    day = _restaurant(traffic)  # 19:00-19:30: 11 cards; 19:20-19:50 too
    assert screen_terminal(day, BUSINESS_DATE, load_rulebook()) == []


def test_a_skimmer_at_a_busy_restaurant_is_still_caught() -> None:
    traffic = Traffic(seed=2, cards_count=400)
    skim = [OPEN.replace(hour=15) + timedelta(minutes=n) for n in range(20)]
    day = sorted(_restaurant(traffic) + _till(traffic, 200, skim), key=lambda t: t.transacted_at)
    flags = screen_terminal(day, BUSINESS_DATE, load_rulebook())
    # its usual rush: 11 an hour, the busiest after the two a window can reach (the skim's
    # 15:00 and the dinner rush): 5.5 per 30 min, x3
    assert len(flags) == 20 and flags[0].reason == "20 distinct cards within 30 min (limit 16)"
