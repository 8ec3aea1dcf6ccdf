"""The card pool's fast makers draw exactly what the careful per-card functions draw: the
same brands, PANs and expiries from the same seed, and the RNG left in the same state."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pos_simulator import cards
from pos_simulator.countries import COUNTRIES

CODES = [country.code for country in COUNTRIES]


def _careful(rng: random.Random, country: str, count: int, year: int) -> list[tuple[str, ...]]:
    issued = []
    for _ in range(count):
        brand = cards.pick_brand(rng, country)
        pan = cards.make_pan(rng, brand)
        issued.append((brand.name, pan, cards.expiry(rng, year)))
    return issued


def _fast(rng: random.Random, country: str, count: int, year: int) -> list[tuple[str, ...]]:
    pick, make_pan = cards.brand_picker(rng, country), cards.pan_maker(rng)
    make_expiry = cards.expiry_maker(rng, year)
    issued = []
    for _ in range(count):
        brand = pick()
        pan = make_pan(brand)
        issued.append((brand.name, pan, make_expiry()))
    return issued


@settings(max_examples=60)
@given(st.integers(0, 2**64), st.sampled_from(CODES), st.integers(1990, 2200))
def test_the_fast_makers_draw_what_the_careful_functions_draw(
    seed: int, country: str, year: int
) -> None:
    careful, fast = random.Random(seed), random.Random(seed)
    assert _fast(fast, country, 300, year) == _careful(careful, country, 300, year)
    assert fast.random() == careful.random()  # the same draws consumed, none more


def _reference_check_digit(payload: str) -> str:
    total = 0
    for place, char in enumerate(reversed(payload)):
        digit = int(char) * (2 if place % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return str((10 - total % 10) % 10)


@given(st.text(alphabet="0123456789", min_size=1, max_size=40))
def test_the_check_digit_is_luhns(payload: str) -> None:
    assert cards.luhn_check_digit(payload) == _reference_check_digit(payload)
    assert cards.luhn_valid(payload + cards.luhn_check_digit(payload))
