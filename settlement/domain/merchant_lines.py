"""A merchants.csv line: the merchant master data the end of day settles with, checked field
by field before any of it is stored.

Why each bound (docs/master-data.md has the table): the MCC drives fraud rules and the
country and timezone drive reports and the terminal's business date, so each must be a code
the standard knows, not merely the right shape; the MDR and the fixed fee are charged on
every transaction, so a typo there is paid out wrongly all day.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Final
from zoneinfo import available_timezones

import iso18245
import pycountry

from settlement.domain.bank_accounts import BankAccount, BankAccountInvalid, bank_account
from settlement.domain.file_lines import (
    LineReason,
    LineRejected,
    amount_minor,
    ascii_int,
    currency_code,
    free_text,
    identifier,
    preview,
    reject_pans,
    required,
)
from settlement.domain.identifiers import SHORT_ID

MERCHANT_COLUMNS: Final = (
    "merchant_id", "name", "mcc", "country", "city", "timezone", "settlement_currency",
    "mdr_bps", "fee_fixed",
)  # fmt: skip
# Optional: a merchant without an account is settled, but its payout cannot be sent by
# credit transfer (the payout file says `no_bank_account`).
MERCHANT_ACCOUNT_COLUMNS: Final = ("iban", "bic")
NAME_MAX_CHARS: Final = 200  # the columns' widths
CITY_MAX_CHARS: Final = 100
# 10%: above any card scheme's merchant discount rate (high-risk MCCs reach ~6%); a value
# beyond it is a percent typed as basis points or a stray digit.
MAX_MDR_BPS: Final = 1_000
# A per-transaction fixed fee of at most 10,000,000 minor units: 100,000.00 EUR, 10,000,000
# JPY. Generous for any currency with a minor unit, yet a fee of 20 digits (which overflowed
# the BIGINT column with a traceback) is refused with a reason.
MAX_FEE_FIXED_MINOR: Final = 10_000_000
_MCC = re.compile(r"[0-9]{4}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


@dataclass(frozen=True, slots=True)
class MerchantRecord:
    merchant_id: str
    name: str
    mcc: str
    country: str
    city: str
    timezone: str
    settlement_currency: str
    mdr_bps: int
    fee_fixed_minor: int
    iban: str | None = None  # electronic format (no spaces, upper case)
    bic: str | None = None


def parse_merchant_line(row: Mapping[str, str]) -> MerchantRecord:
    """One merchants.csv line (values already stripped); raises `LineRejected`."""
    # The IBAN is checked as an IBAN, not scanned for card numbers (`bank_accounts`).
    reject_pans({name: value for name, value in row.items() if name != "iban"})
    merchant_id = identifier(row, "merchant_id", SHORT_ID)
    name = free_text(row, "name", NAME_MAX_CHARS)
    mcc, country = _mcc(row), _country(row)
    city = free_text(row, "city", CITY_MAX_CHARS, needed=False)
    timezone = _timezone(row)
    currency = currency_code(row, "settlement_currency")
    mdr_bps = ascii_int(row, "mdr_bps", 0, MAX_MDR_BPS)
    fee = amount_minor(
        row.get("fee_fixed") or "0", currency, "fee_fixed", low_minor=0,
        high_minor=MAX_FEE_FIXED_MINOR, too_big=LineReason.OUT_OF_RANGE,
    )  # fmt: skip
    account = _account(row)
    return MerchantRecord(
        merchant_id, name, mcc, country, city, timezone, currency, mdr_bps, fee,
        None if account is None else account.iban, None if account is None else account.bic,
    )  # fmt: skip


def _account(row: Mapping[str, str]) -> BankAccount | None:
    iban = row.get("iban", "")
    try:
        return bank_account(iban, row.get("bic", ""))
    except BankAccountInvalid as problem:
        shown = f" ({_iban_preview(iban)})" if iban and "iban" in str(problem) else ""
        raise LineRejected(LineReason.INVALID_FIELD, f"{problem}{shown}") from None


def _iban_preview(text: str) -> str:
    """A refused IBAN as it may be shown: its first four and last four characters, the rest
    starred. The column is not scanned for card numbers (a valid IBAN often holds a
    Luhn-valid run), and a PAN pasted there in a spelling the PAN scanner does not read as
    one ("4111/1111/1111/1111", "4111_1111_...") was once echoed whole."""
    hidden = max(len(text) - 8, 0)
    return preview(text[:4] + "*" * hidden + text[4 + hidden :] if hidden else "*" * len(text))


def _mcc(row: Mapping[str, str]) -> str:
    value = required(row, "mcc")
    if not _MCC.fullmatch(value):
        raise LineRejected(LineReason.INVALID_FIELD, f"mcc {preview(value)} is not 4 digits (0-9)")
    if not _known_mcc(value):
        raise LineRejected(LineReason.UNKNOWN_MCC, f"mcc {value} is not an ISO 18245 code")
    return value


@cache
def _known_mcc(code: str) -> bool:
    try:
        iso18245.get_mcc(code)
    except iso18245.MCCNotFound:
        return False
    return True


def _country(row: Mapping[str, str]) -> str:
    value = required(row, "country")
    if not _COUNTRY.fullmatch(value):
        raise LineRejected(
            LineReason.INVALID_FIELD, f"country {preview(value)} is not 2 upper-case letters"
        )
    if value not in _countries():
        raise LineRejected(
            LineReason.UNKNOWN_COUNTRY, f"country {value!r} is not an ISO 3166-1 alpha-2 code"
        )
    return value


@cache
def _countries() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


def _timezone(row: Mapping[str, str]) -> str:
    value = required(row, "timezone")
    if value not in _timezones():
        raise LineRejected(
            LineReason.UNKNOWN_TIMEZONE, f"timezone {preview(value)} is not an IANA zone name"
        )
    return value


@cache
def _timezones() -> frozenset[str]:
    """Every IANA name zoneinfo can load (the system's database or the tzdata package);
    a set lookup, never a path: a name like '../../etc/passwd' is simply absent. Less the
    names that are not zones but a host's setting ('localtime') or a placeholder."""
    return frozenset(available_timezones()) - _NOT_ZONES
