"""Money as a value: integer minor units plus an ISO 4217 code. Never a float.

One constructor parses decimal strings (`Money.parse`), one function rounds
(`half_even_quotient`; `round_half_even` applies it to a Fraction), and every conversion and
fee goes through it, in Python and in the end-of-day SQL generated from it, so the rounding
rule of the whole system is decided in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from settlement.domain.currencies import minor_unit_exponent


class AmountFormatError(ValueError):
    """A decimal amount string that does not fit its currency."""


class CurrencyMismatchError(ValueError):
    """Arithmetic between two different currencies."""


def half_even_quotient(numerator: int, denominator: int) -> int:
    """`numerator / denominator` rounded to the nearest integer, ties to even (banker's rounding).

    The single rounding point of cardsettle: FX conversion, MDR fees and FX markup all reduce
    to an integer quotient and end here, and the end-of-day SQL evaluates the same steps
    (`settlement.domain.formula.HalfEvenDiv`, rendered in `settlement.adapters.sql_render`).
    Integers only, so SQL can do exactly the same: the quotient, then the remainder against
    what is left of the divisor (never a product that could leave 64 bits). `denominator`
    must be positive.
    """
    if denominator <= 0:
        raise ValueError(f"denominator must be positive, got {denominator}")
    quotient, remainder = divmod(numerator, denominator)
    rest = denominator - remainder
    if remainder > rest or (remainder == rest and quotient % 2 == 1):
        return quotient + 1
    return quotient


def round_half_even(value: Fraction) -> int:
    """An exact rational rounded half-even: `half_even_quotient` of its lowest terms."""
    return half_even_quotient(value.numerator, value.denominator)


def minor_units(text: str, currency: str) -> int:
    """A decimal string in major units as an integer of `currency`'s minor units: what
    `Money.parse` checks and computes, for a caller that wants only the number."""
    if not isinstance(text, str):  # a float has no exact decimal text: refuse it
        raise TypeError(f"amount must be text, got {type(text).__name__}")
    exponent = minor_unit_exponent(currency)
    negative = text.startswith("-")
    # -?[0-9]+(\.[0-9]+)? without a regex (this runs for every message the gateway stages).
    # ASCII only: isdecimal() alone is the Unicode Nd category, which would read "١٢" as 12.
    units, point, fraction = text[negative:].partition(".")
    if not (text.isascii() and units.isdecimal()) or (point and not fraction.isdecimal()):
        raise AmountFormatError(f"amount {text!r} is not a plain decimal number")
    if len(fraction) > exponent:
        raise AmountFormatError(
            f"amount {text!r} has {len(fraction)} decimals but {currency} allows {exponent}"
        )
    minor = int(units + fraction.ljust(exponent, "0"))  # "12" "50" -> 1250, one int()
    return -minor if negative else minor


def _exact(rate: Decimal | Fraction | int) -> Fraction:
    if isinstance(rate, Decimal) and not rate.is_finite():
        raise ValueError(f"rate must be finite, got {rate}")
    return Fraction(rate)


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount in the minor unit of `currency` (cents for EUR, yen for JPY, fils for KWD)."""

    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        minor_unit_exponent(self.currency)  # raises UnknownCurrencyError
        if not isinstance(self.amount_minor, int) or isinstance(self.amount_minor, bool):
            raise TypeError(f"amount_minor must be int, got {type(self.amount_minor).__name__}")

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """Parse a decimal string in major units ("12.50" EUR -> 1250 minor units).

        Rejects exponents, signs other than a leading minus, and more decimals than the
        currency has; the message names the amount and the currency.
        """
        return cls(minor_units(text, currency), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @property
    def exponent(self) -> int:
        return minor_unit_exponent(self.currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount_minor).scaleb(-self.exponent)

    def format(self) -> str:
        """The decimal string in major units with exactly the currency's decimals."""
        exponent = self.exponent
        sign = "-" if self.amount_minor < 0 else ""
        units, fraction = divmod(abs(self.amount_minor), 10**exponent)
        if exponent == 0:
            return f"{sign}{units}"
        return f"{sign}{units}.{fraction:0{exponent}d}"

    def __str__(self) -> str:
        return f"{self.format()} {self.currency}"

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    def convert(self, rate: Decimal | Fraction | int, to_currency: str) -> Money:
        """Convert at `rate` (units of `to_currency` per unit of this currency), half-even."""
        scale = Fraction(10) ** (minor_unit_exponent(to_currency) - self.exponent)
        exact = self.amount_minor * _exact(rate) * scale
        return Money(round_half_even(exact), to_currency)

    def basis_points(self, bps: int) -> Money:
        """`bps` basis points of this amount, half-even (an MDR fee, an FX markup)."""
        return Money(round_half_even(Fraction(self.amount_minor * bps, 10_000)), self.currency)
