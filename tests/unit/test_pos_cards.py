"""Cards: Luhn check digits, brand prefixes and lengths, the issued pool's mix."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_simulator.cards import BRANDS, corrupt_check_digit, luhn_check_digit, luhn_valid, make_pan
from pos_simulator.countries import COUNTRIES
from pos_simulator.pools import build_pools
from settlement.domain.cards import card_brand
from settlement.domain.cards import luhn_valid as gateway_luhn_valid

# Published test numbers of each scheme.
KNOWN_VALID = ("4111111111111111", "5555555555554444", "2223003122003222", "378282246310005",
               "6011111111111117", "79927398713")  # fmt: skip


@pytest.mark.parametrize("pan", KNOWN_VALID)
def test_known_test_numbers_pass_luhn(pan: str) -> None:
    assert luhn_valid(pan)
    assert luhn_check_digit(pan[:-1]) == pan[-1]


def test_known_invalid_numbers_fail() -> None:
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("79927398710")
    assert not luhn_valid("4111-1111")


@given(st.text(alphabet="0123456789", min_size=1, max_size=18))
def test_the_check_digit_always_makes_a_valid_number(payload: str) -> None:
    pan = payload + luhn_check_digit(payload)
    assert luhn_valid(pan) and gateway_luhn_valid(pan)
    assert not luhn_valid(corrupt_check_digit(pan))


@pytest.mark.parametrize("brand", sorted(BRANDS))
def test_generated_pans_have_the_brand_prefix_and_length(brand: str) -> None:
    rng = random.Random(brand)
    lengths = set()
    for _ in range(500):
        pan = make_pan(rng, BRANDS[brand])
        assert len(pan) in BRANDS[brand].lengths and luhn_valid(pan)
        assert card_brand(pan) == brand
        lengths.add(len(pan))
    assert lengths == set(BRANDS[brand].lengths)  # each length is drawn


def test_the_card_pool_is_luhn_valid_unique_and_mostly_visa_and_mastercard() -> None:
    pools = build_pools(5, 30, 4_000, COUNTRIES, date(2026, 11, 27).year)
    pans = [card.pan for card in pools.cards]
    assert len(set(pans)) == len(pans) == 4_000
    assert all(luhn_valid(pan) for pan in pans)
    brands = Counter(card.brand for card in pools.cards)
    assert brands["visa"] > brands["mastercard"] > brands["amex"] > brands["discover"] > 0
    assert set(brands) == set(BRANDS)  # every scheme the gateway knows is drawn (issue 16)
    assert all(card.expiry[2] == "/" and 1 <= int(card.expiry[:2]) <= 12 for card in pools.cards)
    assert all(27 <= int(card.expiry[3:]) <= 30 for card in pools.cards)
    merchant_countries = {merchant.country_code for merchant in pools.merchants}
    assert merchant_countries <= set(pools.cards_by_country)
