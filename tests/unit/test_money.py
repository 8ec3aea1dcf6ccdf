"""Money: ISO 4217 exponents, strict parsing, exact formatting, one half-even rounding point."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.domain.currencies import (
    ISO_4217_EXPONENTS,
    UnknownCurrencyError,
    minor_unit_exponent,
)
from settlement.domain.money import AmountFormatError, CurrencyMismatchError, Money, round_half_even

currencies = st.sampled_from(sorted(ISO_4217_EXPONENTS))


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [
        ("JPY", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("HUF", 2),
        ("IDR", 2),
        ("CLF", 4),
        ("EUR", 2),
        ("COP", 2),
        ("IQD", 3),
        ("ISK", 0),
        ("KRW", 0),
        ("TND", 3),
    ],
)
def test_iso_exponents_not_cldr(currency: str, exponent: int) -> None:
    assert minor_unit_exponent(currency) == exponent


def test_parse_examples() -> None:
    assert Money.parse("12.50", "EUR") == Money(1250, "EUR")
    assert Money.parse("12.5", "EUR") == Money(1250, "EUR")
    assert Money.parse("1500", "JPY") == Money(1500, "JPY")
    assert Money.parse("1.234", "KWD") == Money(1234, "KWD")
    assert Money.parse("-0.01", "USD") == Money(-1, "USD")


def test_too_many_decimals_names_amount_and_currency() -> None:
    with pytest.raises(AmountFormatError, match=r"'1\.5'.*JPY allows 0"):
        Money.parse("1.5", "JPY")
    with pytest.raises(AmountFormatError, match=r"'1\.2345'.*KWD allows 3"):
        Money.parse("1.2345", "KWD")


@pytest.mark.parametrize(
    "text", ["", "1e3", "1,00", " 1.00", "+1", "1.", ".5", "NaN", "1.0.0", "١٢٣.٤٥", "１２", "1.٥"]
)
def test_parse_rejects_non_plain_decimals(text: str) -> None:
    with pytest.raises(AmountFormatError):
        Money.parse(text, "EUR")


def test_unknown_currency_named() -> None:
    with pytest.raises(UnknownCurrencyError, match="'XYZ'"):
        Money.parse("1.00", "XYZ")
    with pytest.raises(UnknownCurrencyError):
        Money(100, "eur")


def test_no_float_accepted() -> None:
    with pytest.raises(TypeError):
        Money(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.parse(1.5, "EUR")  # type: ignore[arg-type]


def test_arithmetic_refuses_mixed_currencies() -> None:
    assert Money(100, "EUR") + Money(5, "EUR") == Money(105, "EUR")
    with pytest.raises(CurrencyMismatchError):
        _ = Money(100, "EUR") - Money(5, "USD")


@given(currency=currencies, amount_minor=st.integers(-(10**15), 10**15))
def test_format_parse_round_trip(currency: str, amount_minor: int) -> None:
    money = Money(amount_minor, currency)
    text = money.format()
    assert Money.parse(text, currency) == money
    decimals = text.partition(".")[2]
    assert len(decimals) == minor_unit_exponent(currency)
    assert Decimal(text) == money.to_decimal()


@given(integer=st.integers(-(10**12), 10**12))
def test_exact_halves_round_to_even(integer: int) -> None:
    result = round_half_even(Fraction(2 * integer + 1, 2))
    assert result % 2 == 0
    assert abs(Fraction(result) - Fraction(2 * integer + 1, 2)) == Fraction(1, 2)


@given(numerator=st.integers(-(10**12), 10**12), denominator=st.integers(1, 10**6))
def test_rounding_is_nearest(numerator: int, denominator: int) -> None:
    value = Fraction(numerator, denominator)
    result = round_half_even(value)
    assert abs(result - value) <= Fraction(1, 2)
    assert result == round(value)  # Fraction.__round__ is half-even too: an independent oracle


def test_convert_rounds_half_even_and_rescales() -> None:
    # 0.25 EUR * 0.5 = 0.125 USD -> 0.12 (tie to even); 0.35 * 0.5 = 0.175 -> 0.18
    assert Money(25, "EUR").convert(Decimal("0.5"), "USD") == Money(12, "USD")
    assert Money(35, "EUR").convert(Decimal("0.5"), "USD") == Money(18, "USD")
    # EUR (2) -> JPY (0): 12.34 EUR * 161.25 = 1989.8325 -> 1990 JPY
    assert Money(1234, "EUR").convert(Decimal("161.25"), "JPY") == Money(1990, "JPY")
    # EUR (2) -> KWD (3): 10.00 EUR * 0.3312 = 3.312 KWD
    assert Money(1000, "EUR").convert(Decimal("0.3312"), "KWD") == Money(3312, "KWD")


def test_basis_points_half_even() -> None:
    assert Money(1250, "EUR").basis_points(200) == Money(25, "EUR")
    assert Money(125, "EUR").basis_points(200) == Money(2, "EUR")  # 2.5 -> 2
    assert Money(175, "EUR").basis_points(200) == Money(4, "EUR")  # 3.5 -> 4


@given(
    amount_minor=st.integers(0, 10**12),
    rate=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("50000"), places=6),
)
def test_convert_matches_decimal_quantize(amount_minor: int, rate: Decimal) -> None:
    from decimal import ROUND_HALF_EVEN, localcontext

    with localcontext() as ctx:
        ctx.prec = 60
        expected = (Decimal(amount_minor) * rate).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    assert Money(amount_minor, "EUR").convert(rate, "USD").amount_minor == int(expected)


# The grammar: ASCII digits only. Other scripts' digits ("٣" Arabic-Indic, "߂" NKo, "３"
# fullwidth) and "²" are refused, as the message contract and master data both say [0-9].
_PLAIN_DECIMAL = re.compile(r"-?([0-9]+)(?:\.([0-9]+))?")


@given(text=st.text(alphabet="-.0123456789٣߂３²+e ", max_size=8))
def test_parse_accepts_exactly_the_plain_decimal_grammar(text: str) -> None:
    match = _PLAIN_DECIMAL.fullmatch(text)
    if match is None or len(match[2] or "") > 3:
        with pytest.raises(AmountFormatError):
            Money.parse(text, "KWD")
        return
    units, fraction = match[1], (match[2] or "").ljust(3, "0")
    minor = int(units) * 1000 + int(fraction)
    assert Money.parse(text, "KWD") == Money(-minor if text[0] == "-" else minor, "KWD")
