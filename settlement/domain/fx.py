"""Foreign exchange: pick the reference rate of a business date, cross it through EUR, convert.

Rates are ECB-style "units per EUR" Decimals. A cross rate A -> B is rate_B / rate_A as an
exact Fraction, handed whole to `Money.convert`, so a conversion rounds once. A date without a
rate (weekend, holiday) takes the last earlier rate and records which date it used; a
currency with no rate at or before the date has none: the caller holds the transaction with
reason `no_rate` rather than guess.

Each rate says where it came from: `ecb` for the ECB's publication (the shipped history, or
a stored rate read from one of the ECB's files), `imported` for an operator's own
date,currency,units_per_eur line. A stored rate wins a tie with the shipped one of its date.
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
SOURCE_ECB = "ecb"  # the ECB's publication: shipped, or imported from an ECB file
SOURCE_IMPORTED = "imported"  # an operator's own rate
SOURCE_IDENTITY = "identity"  # same currency: no rate involved
RATE_SOURCES = (SOURCE_ECB, SOURCE_IMPORTED)  # what a stored rate may say
# Ascending (date, units per EUR, source) of one currency's stored rates.
StoredHistory = Sequence[tuple[date, Decimal, str]]
RATE_DIGITS = 10  # significant digits of the recorded rate text
DEFAULT_MAX_RATE_AGE_DAYS = 5  # Easter's Thursday rate on the Tuesday before 16:00 CET


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
    stored: StoredHistory,
    published: Sequence[tuple[date, Decimal]],
) -> RateQuote | None:
    """The freshest quote at or before `day`, with its source; a stored rate (imported
    from an ECB file or an operator's) wins a tie with the shipped ECB one of its date."""
    if currency == EUR:
        return RateQuote(EUR, Decimal(1), day, SOURCE_ECB)
    shipped = last_quote_on_or_before(currency, day, published, SOURCE_ECB)
    index = bisect.bisect_right(stored, day, key=lambda item: item[0])
    if index == 0:
        return shipped
    rate_date, rate, source = stored[index - 1]
    if shipped is not None and shipped.rate_date > rate_date:
        return shipped
    return RateQuote(currency, rate, rate_date, source)


def rate_age_days(rate_date: date, business_date: date) -> int:
    """How old a rate is on a business date, in calendar days (0: published that day)."""
    return (business_date - rate_date).days


def usable_quote(
    quote: RateQuote | None, business_date: date, max_rate_age_days: int
) -> RateQuote | None:
    """`quote` when it may convert on `business_date`, None when there is none or it is
    older than `max_rate_age_days`."""
    if quote is None or rate_age_days(quote.rate_date, business_date) > max_rate_age_days:
        return None
    return quote


def no_rate_detail(
    currency: str, business_date: date, latest: RateQuote | None, max_rate_age_days: int
) -> str:
    """Why `currency` has no usable rate on `business_date`, in one line (a held line's
    reason detail): none at all, or the latest one and its age."""
    if latest is None:
        return f"no rate for {currency} on or before {business_date}"
    age_days = rate_age_days(latest.rate_date, business_date)
    return (
        f"no rate for {currency} within {max_rate_age_days} days: latest is "
        f"{latest.rate_date}, {age_days} days old"
    )


def cross_rate(source: RateQuote, target: RateQuote) -> CrossRate:
    """source -> target through EUR; dated by the older quote, `imported` if either is an
    operator's rate, else `ecb`."""
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
