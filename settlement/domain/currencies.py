"""ISO 4217 currencies and their minor-unit exponents.

Why a table of our own: CLDR (and so babel) gives *display* digits, which differ from the
ISO 4217 minor unit for several currencies (HUF, IDR, IQD, COP, ...). Settlement must use the
ISO exponent, so it lives here, in the pure core. Source: ISO 4217 list one (active codes).
Funds codes and precious metals without a minor unit (XAU, XDR, ...) are deliberately absent.
"""

from typing import Final

_EXPONENT_0: Final = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_EXPONENT_3: Final = "BHD IQD JOD KWD LYD OMR TND"
_EXPONENT_4: Final = "CLF UYW"
_EXPONENT_2: Final = (
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR "
    "FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR "
    "KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV "
    "MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR "
    "SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH "
    "USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
)


def _table() -> dict[str, int]:
    table: dict[str, int] = {}
    for exponent, codes in ((0, _EXPONENT_0), (2, _EXPONENT_2), (3, _EXPONENT_3), (4, _EXPONENT_4)):
        for code in codes.split():
            table[code] = exponent
    return table


ISO_4217_EXPONENTS: Final[dict[str, int]] = _table()


class UnknownCurrencyError(ValueError):
    """A currency code that is not an active ISO 4217 code with a minor unit."""

    def __init__(self, currency: str) -> None:
        super().__init__(f"unknown currency {currency!r}: not an active ISO 4217 code")
        self.currency = currency


def is_known_currency(currency: str) -> bool:
    return currency in ISO_4217_EXPONENTS


def minor_unit_exponent(currency: str) -> int:
    """Digits after the decimal point for `currency` (JPY 0, EUR 2, KWD 3, CLF 4)."""
    try:
        return ISO_4217_EXPONENTS[currency]
    except KeyError:
        raise UnknownCurrencyError(currency) from None
