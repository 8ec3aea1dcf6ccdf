"""Cardholders' cards: brand-correct, Luhn-valid test PANs with a home country.

Prefixes and lengths follow the schemes' published ranges (Visa 4/16, Mastercard 51-55 and
2221-2720/16, American Express 34 and 37/15, Discover 6011 and 65/16), so a BIN check on
the settlement side sees realistic numbers; the digits after the prefix are random, so the
PANs are test numbers, not real accounts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Brand:
    name: str
    prefixes: tuple[str, ...]
    length: int


def _mastercard_prefixes() -> tuple[str, ...]:
    return tuple(str(p) for p in range(51, 56)) + tuple(str(p) for p in range(2221, 2721))


BRANDS: Final[dict[str, Brand]] = {
    "visa": Brand("visa", ("4",), 16),
    "mastercard": Brand("mastercard", _mastercard_prefixes(), 16),
    "amex": Brand("amex", ("34", "37"), 15),
    "discover": Brand("discover", ("6011", "65"), 16),
}

# Brand mix of issued cards: Discover is almost only American, Amex strongest there too.
BRAND_MIX_US: Final = {"visa": 0.52, "mastercard": 0.28, "amex": 0.12, "discover": 0.08}
BRAND_MIX_OTHER: Final = {"visa": 0.55, "mastercard": 0.39, "amex": 0.05, "discover": 0.01}


@dataclass(frozen=True, slots=True)
class Card:
    """A card as the cardholder's terminal reads it. `index` is its place in the pool."""

    index: int
    pan: str
    expiry: str  # MM/YY
    brand: str
    country: str

    @property
    def last4(self) -> str:
        return self.pan[-4:]


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # a doubled digit with its two digits summed


def luhn_check_digit(payload: str) -> str:
    """The digit that makes `payload + digit` pass the Luhn (mod 10) check."""
    digits = [ord(char) - 48 for char in payload]
    # Once the check digit is appended, the payload's last digit sits in a doubled place.
    total = sum(_DOUBLED[d] for d in digits[-1::-2]) + sum(digits[-2::-2])
    return str((10 - total % 10) % 10)


def luhn_valid(pan: str) -> bool:
    return pan.isdigit() and len(pan) >= 2 and luhn_check_digit(pan[:-1]) == pan[-1]


def make_pan(rng: random.Random, brand: Brand) -> str:
    prefix = brand.prefixes[int(rng.random() * len(brand.prefixes))]
    body_digits = brand.length - 1 - len(prefix)
    payload = prefix + f"{rng.randrange(10**body_digits):0{body_digits}d}"
    return payload + luhn_check_digit(payload)


def corrupt_check_digit(pan: str) -> str:
    """The same PAN with a wrong last digit: what a misread or a typed-in number looks like."""
    good = int(pan[-1])
    return pan[:-1] + str((good + 1 + (int(pan[-2]) % 9)) % 10)


def pick_brand(rng: random.Random, country: str) -> Brand:
    mix = BRAND_MIX_US if country == "US" else BRAND_MIX_OTHER
    name = rng.choices(list(mix), weights=list(mix.values()))[0]
    return BRANDS[name]


def expiry(rng: random.Random, year: int) -> str:
    """A future expiry, one to four years after the business date's year."""
    return f"{rng.randint(1, 12):02d}/{(year + rng.randint(1, 4)) % 100:02d}"
