"""Rate selection, weekend fallback, cross rates through EUR, one rounding per conversion."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from settlement.domain.fx import (
    SOURCE_ECB,
    SOURCE_IDENTITY,
    SOURCE_IMPORTED,
    RateQuote,
    convert,
    cross_rate,
    minor_unit_fraction,
    pick_quote,
)
from settlement.domain.money import Money

FRI, SAT, SUN, MON = date(2026, 3, 6), date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)
USD = [(date(2026, 3, 5), Decimal("1.0800")), (FRI, Decimal("1.0850"))]


def test_weekend_takes_the_last_earlier_rate_and_records_its_date() -> None:
    quote = pick_quote("USD", SUN, [], USD)
    assert quote == RateQuote("USD", Decimal("1.0850"), FRI, SOURCE_ECB)


def test_no_rate_at_all_is_none_never_a_guess() -> None:
    assert pick_quote("KWD", MON, [], []) is None
    assert pick_quote("USD", date(2026, 3, 1), [], USD) is None


def test_imported_rate_wins_a_tie_and_fresher_rate_wins() -> None:
    imported = [(FRI, Decimal("1.1000"), SOURCE_IMPORTED)]
    assert pick_quote("USD", SAT, imported, USD) == RateQuote(
        "USD", Decimal("1.1000"), FRI, SOURCE_IMPORTED
    )
    older = [(date(2026, 3, 2), Decimal("1.2"), SOURCE_IMPORTED)]
    assert pick_quote("USD", SAT, older, USD).source == SOURCE_ECB  # type: ignore[union-attr]


def test_a_stored_rate_read_from_an_ecb_file_keeps_its_source() -> None:
    """A stored rate imported from the ECB's file is the ECB's: it wins the tie with the
    shipped one of its date (same figure, or the ECB's newer one) and says `ecb`; crossed
    with another ECB rate it stays `ecb`, crossed with an operator's it is `imported`."""
    from_file = [(FRI, Decimal("1.0851"), SOURCE_ECB)]
    usd = pick_quote("USD", SAT, from_file, USD)
    assert usd is not None
    assert usd == RateQuote("USD", Decimal("1.0851"), FRI, SOURCE_ECB)
    eur = pick_quote("EUR", SAT, [], [])
    assert eur is not None and cross_rate(usd, eur).source == SOURCE_ECB
    operator = RateQuote("JPY", Decimal("161.50"), FRI, SOURCE_IMPORTED)
    assert cross_rate(usd, operator).source == SOURCE_IMPORTED


def test_cross_rate_is_exact_and_dated_by_the_older_quote() -> None:
    gbp = RateQuote("GBP", Decimal("0.85"), date(2026, 3, 5), SOURCE_ECB)
    jpy = RateQuote("JPY", Decimal("161.50"), FRI, SOURCE_IMPORTED)
    rate = cross_rate(gbp, jpy)
    assert rate.rate == Fraction(190)
    assert rate.rate_date == date(2026, 3, 5)
    assert rate.source == SOURCE_IMPORTED
    assert convert(Money(1000, "GBP"), rate).converted == Money(1900, "JPY")


def test_cross_rate_rounds_once() -> None:
    usd = RateQuote("USD", Decimal("1.0850"), FRI, SOURCE_ECB)
    eur = RateQuote("EUR", Decimal(1), FRI, SOURCE_ECB)
    rate = cross_rate(usd, eur)
    assert rate.text == "0.9216589862"
    assert convert(Money(5000, "USD"), rate).converted == Money(4608, "EUR")
    assert minor_unit_fraction(rate, 2, 0) == Fraction(1000, 1085) / 100


def test_same_currency_is_identity() -> None:
    quote = RateQuote("KWD", Decimal(1), MON, SOURCE_IMPORTED)
    rate = cross_rate(quote, quote)
    assert rate.rate == 1 and rate.source == SOURCE_IDENTITY


def test_convert_refuses_the_wrong_currency() -> None:
    usd = RateQuote("USD", Decimal("1.0850"), FRI, SOURCE_ECB)
    eur = RateQuote("EUR", Decimal(1), FRI, SOURCE_ECB)
    with pytest.raises(ValueError, match="rate is for USD"):
        convert(Money(1, "EUR"), cross_rate(usd, eur))
