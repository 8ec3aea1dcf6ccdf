"""Foreign exchange: pick the reference rate of a business date, cross it through EUR, convert.

Rates are ECB-style "units per EUR" Decimals. A cross rate A -> B is rate_B / rate_A as an
exact Fraction, handed whole to `Money.convert`, so a conversion rounds once. A date without a
rate (weekend, holiday) takes the last earlier rate and records which date it used; a
currency with no rate at or before the date has none: the caller holds the transaction with
reason `no_rate` rather than guess.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction

from settlement.domain.money import Money

EUR = "EUR"
SOURCE_ECB = "ecb"
SOURCE_IMPORTED = "imported"
SOURCE_IDENTITY = "identity"  # same currency: no rate involved
RATE_DIGITS = 10  # significant digits of the recorded rate text


@dataclass(frozen=True, slots=True)
class RateQuote:
    """Units of `currency` per EUR as published for `rate_date` by `source`."""

    currency: str
    units_per_eur: Decimal
    rate_date: date
    source: str


@dataclass(frozen=True, slots=True)
class CrossRate:
    """Exact units of `to_currency` per unit of `from_currency`, with where it came from."""

    from_currency: str
    to_currency: str
    rate: Fraction
    rate_date: date
    source: str

    @property
    def text(self) -> str:
        return rate_text(self.rate)


@dataclass(frozen=True, slots=True)
class Conversion:
    original: Money
    converted: Money
    rate: CrossRate


def rate_text(rate: Fraction) -> str:
    """The rate as a Decimal string with RATE_DIGITS significant digits (for the record only)."""
    with localcontext() as context:
        context.prec = RATE_DIGITS
        return str(Decimal(rate.numerator) / Decimal(rate.denominator))


def last_quote_on_or_before(
    currency: str, day: date, history: Sequence[tuple[date, Decimal]], source: str
) -> RateQuote | None:
    """The latest quote dated `day` or earlier from an ascending (date, rate) history."""
    index = bisect.bisect_right(history, day, key=lambda item: item[0])
    if index == 0:
        return None
    rate_date, rate = history[index - 1]
    return RateQuote(currency, rate, rate_date, source)


def pick_quote(
    currency: str,
    day: date,
    imported: Sequence[tuple[date, Decimal]],
    published: Sequence[tuple[date, Decimal]],
) -> RateQuote | None:
    """The freshest quote at or before `day`; an imported rate wins a tie with the ECB one."""
    if currency == EUR:
        return RateQuote(EUR, Decimal(1), day, SOURCE_ECB)
    candidates = [
        quote
        for quote in (
            last_quote_on_or_before(currency, day, imported, SOURCE_IMPORTED),
            last_quote_on_or_before(currency, day, published, SOURCE_ECB),
        )
        if quote is not None
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda quote: (quote.rate_date, quote.source == SOURCE_IMPORTED))


def cross_rate(source: RateQuote, target: RateQuote) -> CrossRate:
    """source -> target through EUR; dated by the older quote, imported if either was."""
    if source.currency == target.currency:
        return identity_rate(source.currency, max(source.rate_date, target.rate_date))
    exact = Fraction(target.units_per_eur) / Fraction(source.units_per_eur)
    origin = SOURCE_IMPORTED if SOURCE_IMPORTED in (source.source, target.source) else SOURCE_ECB
    rate_date = min(source.rate_date, target.rate_date)
    return CrossRate(source.currency, target.currency, exact, rate_date, origin)


def identity_rate(currency: str, day: date) -> CrossRate:
    return CrossRate(currency, currency, Fraction(1), day, SOURCE_IDENTITY)


def convert(amount: Money, rate: CrossRate) -> Conversion:
    if amount.currency != rate.from_currency:
        raise ValueError(f"rate is for {rate.from_currency}, amount is {amount.currency}")
    return Conversion(amount, amount.convert(rate.rate, rate.to_currency), rate)


def minor_unit_fraction(rate: CrossRate, from_exponent: int, to_exponent: int) -> Fraction:
    """The rate in minor units: converted_minor = round_half_even(amount_minor * this).

    `netting.CONVERTED_MINOR` multiplies by its numerator and divides by its denominator,
    half-even, in Python and in the SQL rendered from it; this is the same number
    `Money.convert` uses.
    """
    return rate.rate * Fraction(10) ** (to_exponent - from_exponent)
