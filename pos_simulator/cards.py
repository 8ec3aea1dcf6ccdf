"""Cardholders' cards: brand-correct, Luhn-valid test PANs with a home country.

Prefixes and lengths fall inside the schemes' published ranges, the gateway's table
(settlement.domain.cards.SCHEMES, sourced in docs/reference-data.md), so a BIN check on the
settlement side sees realistic numbers: Visa 4/16, Mastercard 51-55 and 2221-2720/16,
American Express 34 and 37/15, Discover 6011 and 65/16, Diners Club 36, 300-305 and
38-39/14 or 16, JCB 3528-3589/16, UnionPay 62 and 81/16 or 19, Maestro (5018, 5020, 5038, 5893,
6304, 6759, 6761-6763)/16, 19 and a few of 12. The digits after the prefix are random, so
the PANs are test numbers, not real accounts.
"""

from __future__ import annotations

import bisect
import itertools
import random
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, overload

from pos_simulator.views import At


@dataclass(frozen=True, slots=True)
class Brand:
    name: str
    prefixes: tuple[str, ...]
    length: int
    # Further lengths and how often they are drawn, by repetition: (19, 19, 12) beside 16
    # ... A brand with none draws no length, so its cards' random stream is as it was.
    other_lengths: tuple[int, ...] = ()

    @property
    def lengths(self) -> tuple[int, ...]:
        return (self.length, *self.other_lengths)


def _span(low: int, high: int) -> tuple[str, ...]:
    return tuple(str(prefix) for prefix in range(low, high + 1))


BRANDS: Final[dict[str, Brand]] = {
    "visa": Brand("visa", ("4",), 16),
    "mastercard": Brand("mastercard", _span(51, 55) + _span(2221, 2720), 16),
    "amex": Brand("amex", ("34", "37"), 15),
    "discover": Brand("discover", ("6011", "65"), 16),
    "diners": Brand("diners", ("36", *_span(300, 305), "38", "39"), 14, (16,)),
    "jcb": Brand("jcb", _span(3528, 3589), 16),
    "unionpay": Brand("unionpay", ("62", "81"), 16, (16, 16, 19)),
    "maestro": Brand(
        "maestro",
        ("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763"),
        16,
        (16, 16, 16, 16, 19, 19, 19, 12),  # 60 % 16, 30 % 19 (girocard), 10 % 12
    ),
}

# Brand mix of issued cards by the cardholder's country: Discover is almost only American,
# Amex strongest there too; JCB is Japan's own scheme; Maestro is a European debit brand.
BRAND_MIX_US: Final = {
    "visa": 0.52, "mastercard": 0.26, "amex": 0.12, "discover": 0.08, "diners": 0.01,
    "jcb": 0.005, "unionpay": 0.005,
}  # fmt: skip
BRAND_MIX_JP: Final = {
    "jcb": 0.35, "visa": 0.35, "mastercard": 0.20, "amex": 0.06, "diners": 0.02, "unionpay": 0.02,
}  # fmt: skip
BRAND_MIX_OTHER: Final = {
    "visa": 0.50, "mastercard": 0.33, "maestro": 0.08, "amex": 0.05, "unionpay": 0.02,
    "jcb": 0.01, "diners": 0.005, "discover": 0.005,
}  # fmt: skip
_BRAND_MIXES: Final = {"US": BRAND_MIX_US, "JP": BRAND_MIX_JP}


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
_PLAIN_OF = {str(d): d for d in range(10)}
_DOUBLED_OF = {str(d): _DOUBLED[d] for d in range(10)}


def luhn_check_digit(payload: str) -> str:
    """The digit that makes `payload + digit` pass the Luhn (mod 10) check."""
    # Once the check digit is appended, the payload's last digit sits in a doubled place.
    # Digits are read by table, not by int(): a pool of 2M cards calls this 2M times.
    total = sum(map(_DOUBLED_OF.__getitem__, payload[-1::-2])) + sum(
        map(_PLAIN_OF.__getitem__, payload[-2::-2])
    )
    return str((10 - total % 10) % 10)


def luhn_valid(pan: str) -> bool:
    return pan.isdigit() and len(pan) >= 2 and luhn_check_digit(pan[:-1]) == pan[-1]


def make_pan(rng: random.Random, brand: Brand) -> str:
    prefix = brand.prefixes[int(rng.random() * len(brand.prefixes))]
    length = brand.length
    if brand.other_lengths:
        length = brand.lengths[int(rng.random() * len(brand.lengths))]
    body_digits = length - 1 - len(prefix)
    payload = prefix + f"{rng.randrange(10**body_digits):0{body_digits}d}"
    return payload + luhn_check_digit(payload)


def pan_maker(rng: random.Random) -> Callable[[Brand], str]:
    """`make_pan` for a pool of millions: the same draws from `rng` (randrange(n) is
    `_randbelow(n)`); with the two below, a pool of 200k cards in 1.2 s of CPU, not 2.6."""
    draw, below = rng.random, rng._randbelow  # type: ignore[attr-defined]  # randrange(n)'s own draw

    def make(brand: Brand) -> str:
        prefixes = brand.prefixes
        prefix = prefixes[int(draw() * len(prefixes))]
        length = brand.length
        if brand.other_lengths:
            lengths = brand.lengths
            length = lengths[int(draw() * len(lengths))]
        body_digits = length - 1 - len(prefix)
        payload = prefix + f"{below(10**body_digits):0{body_digits}d}"
        return payload + luhn_check_digit(payload)

    return make


def corrupt_check_digit(pan: str) -> str:
    """The same PAN with a wrong last digit: what a misread or a typed-in number looks like."""
    good = int(pan[-1])
    return pan[:-1] + str((good + 1 + (int(pan[-2]) % 9)) % 10)


def pick_brand(rng: random.Random, country: str) -> Brand:
    mix = _BRAND_MIXES.get(country, BRAND_MIX_OTHER)
    name = rng.choices(list(mix), weights=list(mix.values()))[0]
    return BRANDS[name]


def brand_picker(rng: random.Random, country: str) -> Callable[[], Brand]:
    """`pick_brand` for one country's millions of cards: `random.choices`' own arithmetic
    (the same cumulative weights, one `random()` a pick), its lists built once."""
    mix = _BRAND_MIXES.get(country, BRAND_MIX_OTHER)
    brands = [BRANDS[name] for name in mix]
    cum_weights = list(itertools.accumulate(mix.values()))
    total, hi, draw = cum_weights[-1] + 0.0, len(brands) - 1, rng.random
    return lambda: brands[bisect.bisect(cum_weights, draw() * total, 0, hi)]


def expiry(rng: random.Random, year: int) -> str:
    """A future expiry, one to four years after the business date's year."""
    return f"{rng.randint(1, 12):02d}/{(year + rng.randint(1, 4)) % 100:02d}"


def expiry_maker(rng: random.Random, year: int) -> Callable[[], str]:
    """`expiry` for a pool of millions: the same two draws (randint(a, b) is
    `a + _randbelow(b - a + 1)`), and one string for each of the 48 expiries, not one a
    card (a 2M-card pool: ~100 MB less)."""
    below = rng._randbelow  # type: ignore[attr-defined]  # randint's own draw
    texts = {
        (month, years): f"{month:02d}/{(year + years) % 100:02d}"
        for month in range(1, 13)
        for years in range(1, 5)
    }

    def make() -> str:
        month = below(12) + 1
        return texts[month, below(4) + 1]

    return make


class CardSequence(Sequence[Card]):
    """A sequence of cards that is not a tuple (a packed pool, a view of one): equal to any
    sequence of the same cards in the same order, as the tuples they stand for were."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and same_cards(self, other)

    __hash__ = None  # type: ignore[assignment]


class CardPool(CardSequence):
    """The day's cards packed: each PAN as one 64-bit integer (a PAN never starts with 0,
    so `str(int(pan)) == pan`, and 19 digits fit), brand, expiry and country as one byte
    each into their few texts. Indexing builds the `Card` that was stored before (equal
    to it, fields and all). 500,000 `Card` objects with their PANs and indices held ~95 MB;
    packed they hold 5.5 MB, for ~1 µs a pick."""

    __slots__ = ("_brands", "_codes", "_countries", "_expiries", "_pans", "_texts")

    def __init__(self) -> None:
        self._pans = array("Q")
        self._brands, self._expiries, self._countries = bytearray(), bytearray(), bytearray()
        self._texts: tuple[list[str], list[str], list[str]] = ([], [], [])  # by code
        self._codes: tuple[dict[str, int], dict[str, int], dict[str, int]] = ({}, {}, {})

    def append(self, pan: str, expiry: str, brand: str, country: str) -> None:
        """Issue the next card (its index: the pool's length before)."""
        self._pans.append(int(pan))
        self._brands.append(self._code(0, brand))
        self._expiries.append(self._code(1, expiry))
        self._countries.append(self._code(2, country))

    def _code(self, field: int, text: str) -> int:
        codes = self._codes[field]
        code = codes.get(text)
        if code is None:
            code = codes[text] = len(codes)
            self._texts[field].append(text)
        return code

    def __len__(self) -> int:
        return len(self._pans)

    @overload
    def __getitem__(self, index: int) -> Card: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Card, ...]: ...
    def __getitem__(self, index: int | slice) -> Card | tuple[Card, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self._pans))))
        if index < 0:
            index += len(self._pans)
            if index < 0:
                raise IndexError("card index out of range")
        brands, expiries, countries = self._texts
        return Card(
            index,
            str(self._pans[index]),  # IndexError past the end, as a tuple's
            expiries[self._expiries[index]],
            brands[self._brands[index]],
            countries[self._countries[index]],
        )

    def country(self, index: int) -> str:
        """Card `index`'s home country, without building the card."""
        return self._texts[2][self._countries[index]]


class CardsAt(At[Card], CardSequence):
    """Some of a pool's cards, by their indices in it (a range, or packed indices), equal
    to any sequence of the same cards as a `CardSequence` is."""

    __slots__ = ()


def same_cards(cards: Sequence[Card], other: Sequence[object]) -> bool:
    """Equal as the tuples they stand for: the same cards in the same order."""
    return len(cards) == len(other) and all(a == b for a, b in zip(cards, other, strict=True))


def pool_indices(cards: Sequence[Card]) -> Sequence[int]:
    """The pool indices of `cards`, without building them where they are `CardsAt`."""
    if isinstance(cards, CardsAt):
        return cards.indices
    return [card.index for card in cards]


class NumberSet:
    """Non-zero integers below 2**64 seen so far: a set in one flat array (open addressing,
    linear probing), for the pool's PANs. A `set` of 500,000 PANs held ~36 MB (an int
    object each and the table) while the pool was built; this holds 8 MB."""

    __slots__ = ("_mask", "_slots")

    def __init__(self, capacity: int) -> None:
        size = 1 << max(4, (2 * capacity).bit_length())  # at most half full
        self._slots, self._mask = array("Q", [0]) * size, size - 1

    def add(self, number: int) -> bool:
        """Add `number`; False if it was already in."""
        slots, mask = self._slots, self._mask
        slot = (number * 0x9E3779B97F4A7C15 >> 32) & mask  # Fibonacci hashing
        while (held := slots[slot]) != 0:
            if held == number:
                return False
            slot = (slot + 1) & mask
        slots[slot] = number
        return True
