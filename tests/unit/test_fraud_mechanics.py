"""The machinery under the rules: sliding windows, EUR conversion, what counts and is flagged."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from settlement.domain.fraud import (
    FraudFlag,
    load_rulebook,
    rate_table_to_eur,
    screen_card,
    screen_terminal,
)
from settlement.domain.fraud.geo import distance_km
from settlement.domain.fraud.rules.high_risk_mcc_night import at_night
from settlement.domain.fraud.window import count_bursts, may_exceed
from settlement.domain.money import Money
from settlement.domain.transactions import EntryMode, StagedTransaction, TransactionType
from tests.support.fraud_traffic import BUSINESS_DATE, Traffic, to_eur

T0 = datetime(2026, 11, 27, 12, 0)
TEN_MIN = timedelta(minutes=10)


def _times(*minutes: float) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in minutes]


def test_a_burst_straddling_a_bucket_edge_is_still_one_window() -> None:
    # 12:06..12:14: fixed 10-minute buckets would split these 5 into 3 + 2
    marker = count_bursts(_times(6, 7, 8, 11, 14), TEN_MIN, 4)
    assert list(marker.marked()) == [(i, 5) for i in range(5)]


def test_the_whole_burst_is_marked_with_its_peak_and_separate_bursts_stay_apart() -> None:
    marker = count_bursts(_times(0, 1, 2, 30, 60, 61, 62, 63), TEN_MIN, 2)
    assert list(marker.marked()) == [(0, 3), (1, 3), (2, 3), (4, 4), (5, 4), (6, 4), (7, 4)]


@given(st.lists(st.integers(0, 600), max_size=40), st.integers(1, 6))
def test_the_cheap_pre_check_agrees_with_the_full_count(minutes: list[int], limit: int) -> None:
    times = _times(*sorted(minutes))
    assert may_exceed(times, TEN_MIN, limit) == bool(count_bursts(times, TEN_MIN, limit).bursts)


@given(
    st.integers(-(10**12), 10**12),
    st.sampled_from(["USD", "JPY", "KWD", "GBP", "CLF"]),
    st.decimals(Decimal("0.0001"), Decimal(50000), places=6),
)
def test_the_rate_table_converts_exactly_like_money_convert(
    minor: int, currency: str, units_per_eur: Decimal
) -> None:
    to_eur_fast = rate_table_to_eur({currency: units_per_eur})
    expected = Money(minor, currency).convert(1 / Fraction(units_per_eur), "EUR")
    assert to_eur_fast(Money(minor, currency)) == expected
    assert to_eur_fast(Money(minor, "AED")) is None


def test_night_windows_may_wrap_midnight() -> None:
    assert at_night(time(2), time(0), time(5)) and not at_night(time(5), time(0), time(5))
    assert at_night(time(23, 30), time(23), time(5)) and at_night(time(1), time(23), time(5))
    assert not at_night(time(12), time(23), time(5))


def test_distances_between_centroids() -> None:
    paris_berlin = distance_km("FR", "DE")
    assert paris_berlin is not None and 600 < paris_berlin < 900
    assert distance_km("FR", "ZZ") is None


def _screen(txs: list[StagedTransaction], toml: str | None = None) -> list[FraudFlag]:
    txs.sort(key=lambda tx: tx.transacted_at)
    return screen_card(txs, BUSINESS_DATE, load_rulebook(toml), to_eur)


def test_refunds_and_reversals_are_never_flagged_nor_counted() -> None:
    traffic = Traffic(seed=1, cards_count=1)
    card = traffic.cards[0]
    txs = [
        traffic.purchase(card, T0 + timedelta(minutes=n), card.home, 100, kind=kind)
        for n, kind in enumerate([TransactionType.REFUND, TransactionType.REVERSAL] * 4)
    ]
    assert _screen(txs) == []


def test_history_gives_context_but_only_the_business_date_is_flagged() -> None:
    traffic = Traffic(seed=1, cards_count=1)
    card = traffic.cards[0]
    midnight = datetime.combine(BUSINESS_DATE, time())
    txs = [
        traffic.purchase(card, midnight + timedelta(minutes=m), card.home, 2_000)
        for m in (-4, -3, -2, -1, 1)
    ]
    flags = _screen(txs)
    assert [flag.transaction_id for flag in flags] == [txs[-1].transaction_id]
    assert flags[0].reason == "5 purchases within 15 min (limit 4)"


def test_impossible_travel_ignores_card_not_present_and_short_hops() -> None:
    traffic = Traffic(seed=1, cards_count=1)
    card = traffic.cards[0]
    online = [
        traffic.purchase(card, T0, "FR", 2_000, mode=EntryMode.CHIP),
        traffic.purchase(card, T0 + TEN_MIN, "US", 2_000, mode=EntryMode.ECOMMERCE),
        traffic.purchase(card, T0 + 2 * TEN_MIN, "JP", 2_000, mode=EntryMode.MANUAL),
    ]
    assert _screen(online) == []
    border = [
        traffic.purchase(card, T0, "FR", 2_000, mode=EntryMode.CHIP),
        traffic.purchase(card, T0 + TEN_MIN, "CH", 2_000, mode=EntryMode.CHIP),
    ]
    assert _screen(border) == []  # centroids 470 km apart: under min_distance_km


def test_impossible_travel_flags_the_purchase_away_from_home() -> None:
    traffic = Traffic(seed=1, cards_count=1)
    card = traffic.cards[0]
    abroad = "JP" if card.home != "JP" else "US"
    txs = [
        traffic.purchase(card, T0, card.home, 2_000, mode=EntryMode.CHIP),
        traffic.purchase(card, T0 + 3 * TEN_MIN, abroad, 2_000, mode=EntryMode.CHIP),
        traffic.purchase(card, T0 + 20 * TEN_MIN, card.home, 2_000, mode=EntryMode.CHIP),
    ]
    flags = _screen(txs)
    assert [flag.transaction_id for flag in flags] == [txs[1].transaction_id]
    assert f"{card.home} -> {abroad}" in flags[0].reason and "(max 900 km/h)" in flags[0].reason


def test_over_limit_falls_back_to_the_currency_table_without_a_rate() -> None:
    def aed(day: date, amount_minor: int) -> StagedTransaction:
        at = datetime.combine(day, time(12))
        return StagedTransaction(
            f"aed{amount_minor}",
            TransactionType.PURCHASE,
            None,
            "m",
            "t",
            "card",
            "411111",
            "1111",
            "visa",
            "AE",
            "AE",
            "5411",
            EntryMode.CHIP,
            amount_minor,
            "AED",
            at + timedelta(hours=4),
            240,
            at,
            day,
        )

    flags = _screen([aed(BUSINESS_DATE, 1_000_001), aed(BUSINESS_DATE, 999_999)])
    assert [(f.transaction_id, f.rule) for f in flags] == [("aed1000001", "over_limit")]
    assert flags[0].reason == "10000.01 AED over the AED limit of 10000.00 AED"


def _till(traffic: Traffic, start: datetime, count: int, gap: timedelta) -> list[StagedTransaction]:
    return [
        traffic.purchase(
            traffic.cards[n % len(traffic.cards)],
            start + n * gap,
            "FR",
            1_500,
            terminal="FR-T001-0",
        )
        for n in range(count)
    ]


def test_a_busy_till_raises_its_own_compromised_terminal_limit() -> None:
    traffic = Traffic(seed=1, cards_count=200)
    burst = _till(traffic, T0, 12, timedelta(minutes=2))  # 12 cards in 22 minutes
    rulebook = load_rulebook()
    quiet = screen_terminal(burst, BUSINESS_DATE, rulebook)
    assert len(quiet) == 12 and quiet[0].reason == "12 distinct cards within 30 min (limit 8)"
    # yesterday this till took a card a minute from 08:00 to 20:00: 12 per 30 min is usual
    busy_day = _till(traffic, T0 - timedelta(hours=28), 720, timedelta(minutes=1))
    assert screen_terminal([*busy_day, *burst], BUSINESS_DATE, rulebook) == []
