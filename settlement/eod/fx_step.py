"""FX for a run: one rate per (transaction currency, settlement currency) pair, recorded in
`fx_conversions`; pairs without a rate are held with reason `no_rate`, never guessed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache

from sqlalchemy import Connection, insert

from settlement.adapters import eod_sql
from settlement.adapters.eod_tables import fx_conversions
from settlement.adapters.rates import ecb_histories, imported_histories
from settlement.domain.currencies import is_known_currency, minor_unit_exponent
from settlement.domain.fx import (
    EUR,
    CrossRate,
    RateQuote,
    convert,
    cross_rate,
    identity_rate,
    minor_unit_fraction,
    pick_quote,
)
from settlement.domain.money import Money

_INT64 = 2**63 - 1
QuoteOf = Callable[[str], RateQuote | None]


def quote_source(conn: Connection, currencies: set[str], day: date) -> QuoteOf:
    """Quotes of `day` for any of `currencies` (imported rates win a tie with the ECB)."""
    imported = imported_histories(conn, currencies | {EUR}, day)
    published = ecb_histories()

    @cache
    def quote(currency: str) -> RateQuote | None:
        return pick_quote(currency, day, imported.get(currency, []), published.get(currency, []))

    return quote


def to_eur_converter(quote: QuoteOf) -> Callable[[Money], Money | None]:
    """What the fraud rules need: an amount in EUR, or None when the currency has no rate."""

    @cache
    def rate_to_eur(currency: str) -> CrossRate | None:
        source, target = quote(currency), quote(EUR)
        return None if source is None or target is None else cross_rate(source, target)

    def to_eur(amount: Money) -> Money | None:
        rate = rate_to_eur(amount.currency)
        return None if rate is None else convert(amount, rate).converted

    return to_eur


def _rate_for(quote: QuoteOf, source: str, target: str, day: date) -> CrossRate | None:
    if source == target:
        return identity_rate(source, day)
    if not (is_known_currency(source) and is_known_currency(target)):
        return None
    a, b = quote(source), quote(target)
    return None if a is None or b is None else cross_rate(a, b)


def convert_day(conn: Connection, run_date: date, quote: QuoteOf) -> dict[str, int]:
    """Record the rate of every settling currency pair, hold what cannot be converted."""
    held = {"no_rate": 0, "unknown_merchant": 0}
    for source, target, max_minor in eod_sql.currency_pairs(conn, run_date):
        if target is None:
            held["unknown_merchant"] += eod_sql.hold(
                conn, run_date, "currency = :c AND merchant_id NOT IN "
                "(SELECT merchant_id FROM merchants)", "unknown_merchant", c=source,
            )  # fmt: skip
            continue
        rate = _rate_for(quote, source, target, run_date)
        if rate is None:
            held["no_rate"] += eod_sql.hold(
                conn, run_date, "currency = :c AND merchant_id IN (SELECT merchant_id FROM"
                " merchants WHERE settlement_currency = :s)", "no_rate", c=source, s=target,
            )  # fmt: skip
            continue
        _record(conn, run_date, rate, max_minor)
    return held


def _record(conn: Connection, run_date: date, rate: CrossRate, max_minor: int) -> None:
    exact = minor_unit_fraction(
        rate, minor_unit_exponent(rate.from_currency), minor_unit_exponent(rate.to_currency)
    )
    if max_minor * exact.numerator > _INT64 or exact.denominator > _INT64:
        raise OverflowError(f"rate {rate.text} for {rate.from_currency}->{rate.to_currency}"
                            " is too precise for integer settlement arithmetic")  # fmt: skip
    conn.execute(
        insert(fx_conversions).values(
            run_date=run_date, from_currency=rate.from_currency, to_currency=rate.to_currency,
            rate=rate.text, minor_numerator=exact.numerator,
            minor_denominator=exact.denominator, rate_date=rate.rate_date, source=rate.source,
        )
    )  # fmt: skip
