"""FX for a run: one rate per (transaction currency, settlement currency) pair, recorded in
`fx_conversions`; pairs without a rate are held with reason `no_rate`, never guessed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from fractions import Fraction

from settlement.domain.currencies import is_known_currency, minor_unit_exponent
from settlement.domain.fraud import RateTableToEur, rate_table_to_eur
from settlement.domain.fx import (
    EUR,
    CrossRate,
    RateQuote,
    cross_rate,
    identity_rate,
    minor_unit_fraction,
    pick_quote,
)
from settlement.domain.holds import HoldReason
from settlement.eod.store import EodStore

_INT64 = 2**63 - 1
NO_RATE, UNKNOWN_MERCHANT = str(HoldReason.NO_RATE), str(HoldReason.UNKNOWN_MERCHANT)
QuoteOf = Callable[[str], RateQuote | None]


class DayQuotes:
    """The quote of one business date for any currency (imported rates win a tie with the
    ECB); a `QuoteOf`. Each currency's history is read once, on first use."""

    def __init__(self, store: EodStore, day: date) -> None:
        self.day = day
        self._store = store
        self._imported = store.imported_rates(day)  # a few rows a currency a day
        self._quotes: dict[str, RateQuote | None] = {}

    def __call__(self, currency: str) -> RateQuote | None:
        if currency not in self._quotes:
            imported = self._imported.get(currency, [])
            published = self._store.published_rates(currency) if currency != EUR else []
            self._quotes[currency] = pick_quote(currency, self.day, imported, published)
        return self._quotes[currency]

    def currencies(self) -> set[str]:
        """Every currency that may have a quote: the ECB's and the imported ones."""
        return set(self._store.published_currencies()) | set(self._imported)


def quote_source(store: EodStore, day: date) -> DayQuotes:
    return DayQuotes(store, day)


def to_eur_converter(quotes: DayQuotes) -> RateTableToEur:
    """What the fraud rules need: an amount in EUR, or None when the currency has no rate.

    A rate table of every currency with a quote, so the screen converts with integer
    arithmetic; it gives exactly `convert(amount, cross_rate(quote(c), quote(EUR)))`
    (a test holds the two equal), and None for a currency without a quote, as that does.
    """
    units_per_eur = {}
    for currency in sorted(quotes.currencies()):
        quote = quotes(currency) if is_known_currency(currency) else None
        if quote is not None and currency != EUR:
            units_per_eur[currency] = quote.units_per_eur
    return rate_table_to_eur(units_per_eur)


def _rate_for(quote: QuoteOf, source: str, target: str, day: date) -> CrossRate | None:
    if source == target:
        return identity_rate(source, day)
    if not (is_known_currency(source) and is_known_currency(target)):
        return None
    a, b = quote(source), quote(target)
    return None if a is None or b is None else cross_rate(a, b)


def convert_day(store: EodStore, run_date: date, quote: QuoteOf) -> dict[str, int]:
    """Record the rate of every settling currency pair, hold what cannot be converted."""
    held = {NO_RATE: 0, UNKNOWN_MERCHANT: 0}
    for source, target, max_minor in store.currency_pairs(run_date):
        if target is None:
            held[UNKNOWN_MERCHANT] += store.hold_unknown_merchant(
                run_date, source, UNKNOWN_MERCHANT
            )
            continue
        rate = _rate_for(quote, source, target, run_date)
        if rate is None:
            held[NO_RATE] += store.hold_no_rate(run_date, source, target, NO_RATE)
            continue
        store.record_rate(run_date, rate, _minor_rate(rate, max_minor))
    return held


def _minor_rate(rate: CrossRate, max_minor: int) -> Fraction:
    """The rate in minor units, refused when integer settlement arithmetic would overflow."""
    exact = minor_unit_fraction(
        rate, minor_unit_exponent(rate.from_currency), minor_unit_exponent(rate.to_currency)
    )
    if max_minor * exact.numerator > _INT64 or exact.denominator > _INT64:
        raise OverflowError(f"rate {rate.text} for {rate.from_currency}->{rate.to_currency}"
                            " is too precise for integer settlement arithmetic")  # fmt: skip
    return exact
