"""ISO 4217 currencies and their minor-unit exponents, from the maintenance agency's lists.

Why a package and not a table of our own: the hand table went stale (it still accepted BGN
after Bulgaria adopted the euro on 2026-01-01, and lacked XAD). `iso-4217` ships SIX's list
one (current codes with their minor units) and list three (historic codes, withdrawn) as
published, and its version ends in the edition's date (0.8.260101: 2026-01-01), so a new
edition is a dependency bump and `ISO_4217_EDITION` says which one is in force. Why not
CLDR/babel: it gives *display* digits (HUF, IDR, IQD, COP differ from ISO); nor pycountry:
its currencies carry no minor unit at all. docs/reference-data.md says more.

Settleable: a list-one code with a numeric minor unit, since an amount is stored as an integer
count of minor units. That includes the funds codes that have one (BOV, CHE, CHW, CLF 4, COU,
MXV, USN, UYI 0) and units of account such as UYW 4 and XAD 2: contracts are denominated in
them and ISO gives them a scale. It excludes the codes whose minor unit is "N.A." (the metals
XAU, XAG, XPD, XPT; XDR, XSU, XUA, the bond units XBA-XBD, the test code XTS, XXX): with no
scale there is no minor unit to count, and no card terminal prices in an ounce of gold.
Retired: a list-three code that list one no longer has (BGN, HRK, SLL, ...); it is refused
with its own reason, so an operator sees "withdrawn", not "never heard of it".
"""

from __future__ import annotations

from datetime import date
from typing import Final

from iso_4217 import Currency, __published_date__  # type: ignore[import-untyped]


def _settleable() -> dict[str, int]:
    # A code with current entities is on list one; subunit_exp is None where ISO says "N.A.".
    return {
        currency.name: currency.subunit_exp
        for currency in Currency
        if currency.entities and currency.subunit_exp is not None
    }


ISO_4217_EDITION: Final[date] = __published_date__.date()
# A plain dict: `is_known_currency` runs once per message on the gateway's hot path.
ISO_4217_EXPONENTS: Final[dict[str, int]] = _settleable()
RETIRED_CURRENCIES: Final[frozenset[str]] = frozenset(
    currency.name for currency in Currency if not currency.entities
)


class UnknownCurrencyError(ValueError):
    """A currency code that is not an active ISO 4217 code with a minor unit (retired or
    never one: `currency_refusal` says which)."""

    def __init__(self, currency: str) -> None:
        super().__init__(currency_refusal(currency, repr(currency)))
        self.currency = currency


def is_known_currency(currency: str) -> bool:
    return currency in ISO_4217_EXPONENTS


def is_retired_currency(currency: object) -> bool:
    """True for a code withdrawn from ISO 4217 (list three) that list one no longer has."""
    return isinstance(currency, str) and currency in RETIRED_CURRENCIES  # JSON: any value


def currency_refusal(currency: object, shown: str) -> str:
    """The one-line reason `currency` (written as `shown`) cannot be settled."""
    if is_retired_currency(currency):
        return (
            f"retired currency {shown}: withdrawn from ISO 4217 "
            f"(list three, edition {ISO_4217_EDITION})"
        )
    return f"unknown currency {shown}: not an active ISO 4217 code with a minor unit"


def minor_unit_exponent(currency: str) -> int:
    """Digits after the decimal point for `currency` (JPY 0, EUR 2, KWD 3, CLF 4)."""
    try:
        return ISO_4217_EXPONENTS[currency]
    except KeyError:
        raise UnknownCurrencyError(currency) from None
