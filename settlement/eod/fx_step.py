"""FX for a run: one rate per (transaction currency, settlement currency) pair, recorded in
`fx_conversions`; pairs without a rate, or whose latest rate is older than the age limit
(`fx.usable_quote`), are held with reason `no_rate` and a one-line detail, never guessed.
The fraud screen's EUR amounts use the same quotes, so a stale rate converts nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from fractions import Fraction

from settlement.domain.currencies import is_known_currency, minor_unit_exponent
from settlement.domain.fraud import RateTableToEur, rate_table_to_eur
from settlement.domain.fx import (
    DEFAULT_MAX_RATE_AGE_DAYS,
    EUR,
    CrossRate,
    RateQuote,
    cross_rate,
    identity_rate,
    minor_unit_fraction,
    no_rate_detail,
    pick_quote,
    usable_quote,
)
from settlement.domain.holds import HoldReason
from settlement.eod.store import EodStore

_INT64 = 2**63 - 1
NO_RATE, UNKNOWN_MERCHANT = str(HoldReason.NO_RATE), str(HoldReason.UNKNOWN_MERCHANT)
QuoteOf = Callable[[str], RateQuote | None]


class DayQuotes:
    """The usable quote of one business date for any currency, with its source (a stored
    rate wins a tie with the shipped ECB one; none older than `max_rate_age_days`); a
    `QuoteOf`. Each currency's
    history is read once, on first use."""

    def __init__(
        self, store: EodStore, day: date, max_rate_age_days: int = DEFAULT_MAX_RATE_AGE_DAYS
    ) -> None:
        self.day = day
        self.max_rate_age_days = max_rate_age_days
        self._store = store
        self._imported = store.imported_rates(day)  # a few rows a currency a day
        self._latest: dict[str, RateQuote | None] = {}

    def latest(self, currency: str) -> RateQuote | None:
        """The latest quote at or before the day, however old."""
        if currency not in self._latest:
            imported = self._imported.get(currency, [])
            published = self._store.published_rates(currency) if currency != EUR else []
            self._latest[currency] = pick_quote(currency, self.day, imported, published)
        return self._latest[currency]

    def __call__(self, currency: str) -> RateQuote | None:
        return usable_quote(self.latest(currency), self.day, self.max_rate_age_days)

    def missing(self, currency: str) -> str:
        """Why `currency` has no usable quote, in one line."""
        if not is_known_currency(currency):
            return f"{currency} is not an ISO 4217 currency"
        return no_rate_detail(currency, self.day, self.latest(currency), self.max_rate_age_days)

    def currencies(self) -> set[str]:
        """Every currency that may have a quote: the ECB's and the imported ones."""
        return set(self._store.published_currencies()) | set(self._imported)


def quote_source(
    store: EodStore, day: date, max_rate_age_days: int = DEFAULT_MAX_RATE_AGE_DAYS
) -> DayQuotes:
    return DayQuotes(store, day, max_rate_age_days)


def to_eur_converter(quotes: DayQuotes) -> RateTableToEur:
    """What the fraud rules need: an amount in EUR, or None when the currency has no rate.

    A rate table of every currency with a usable quote, so the screen converts with integer
    arithmetic; it gives exactly `convert(amount, cross_rate(quote(c), quote(EUR)))`
    (a test holds the two equal), and None for a currency without a quote or with one
    older than the age limit, as settlement does.
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


def convert_day(store: EodStore, run_date: date, quote: DayQuotes) -> dict[str, int]:
    """Record the rate of every settling currency pair, hold what cannot be converted
    with the reason detail of the currency that lacks a usable rate."""
    held = {NO_RATE: 0, UNKNOWN_MERCHANT: 0}
    for source, target, max_minor in store.currency_pairs(run_date):
        if target is None:
            held[UNKNOWN_MERCHANT] += store.hold_unknown_merchant(
                run_date, source, UNKNOWN_MERCHANT
            )
            continue
        rate = _rate_for(quote, source, target, run_date)
        if rate is None:
            detail = quote.missing(source if quote(source) is None else target)
            held[NO_RATE] += store.hold_no_rate(run_date, source, target, NO_RATE, detail)
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
