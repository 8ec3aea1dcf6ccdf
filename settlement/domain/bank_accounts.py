"""A merchant's bank account for its payout credit transfer: an IBAN and, optionally, a BIC.

Checked with schwifty (ISO 13616 IBAN: the country's length and structure, the mod-97 check
digits; ISO 9362 BIC: shape and country code), and stored in the electronic format a bank
file needs: upper case, no spaces. The decisions, and why (docs/master-data.md):

- An IBAN in print format ("NL91 ABNA 0417 1643 00") or in lower case is normal on paper and
  in spreadsheets: normalised, not refused. Anything beyond ASCII letters, digits and spaces
  is refused (fullwidth or Arabic-Indic digits look like digits but are not ones a bank
  reads).
- The IBAN may be of another country than the merchant's: SEPA forbids a payer to require an
  account in a given member state (Regulation (EU) 260/2012, article 9), so a Dutch shop
  paid into a German account is ordinary. Whether it can be paid by a SEPA credit transfer
  is the IBAN's country being in the SEPA scheme (`in_sepa_zone`), decided at payout time.
- The BIC is optional (SEPA has been IBAN-only since 2016), but when given it must be a BIC
  of the IBAN's country, or of a territory that uses that country's IBANs: a BIC of another
  country is a typo in one of the two, and money sent on it goes astray.
- A BIC without an IBAN is refused: it names a bank, not an account, and pays nothing.
- A card number is not an IBAN: an IBAN starts with two letters and passes mod 97, so a PAN
  pasted into the column is refused as an invalid IBAN, its digits masked in the message.
  A valid IBAN is not scanned for card numbers: its 14-30 digits often hold a Luhn-valid
  run by chance (about one in ten), and it is the account the merchant gave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from schwifty import BIC, IBAN
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    SchwiftyException,
)

IBAN_MAX_CHARS: Final = 34  # ISO 13616
BIC_MAX_CHARS: Final = 11  # ISO 9362: 8, or 11 with a branch
# Print format: a space every four characters, so at most 8 more than the longest IBAN.
_IBAN_TEXT_MAX_CHARS: Final = IBAN_MAX_CHARS + 9
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]+", re.ASCII)
# Territories whose banks use another country's IBAN (EPC409-09, "EPC list of SEPA scheme
# countries"): their BICs carry the territory's code, their IBANs the country's.
IBAN_TERRITORIES: Final[dict[str, frozenset[str]]] = {
    "FR": frozenset({"GF", "GP", "MQ", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF"}),
    "GB": frozenset({"JE", "GG", "IM"}),
    "FI": frozenset({"AX"}),
}


class BankAccountInvalid(ValueError):
    """An IBAN or BIC that cannot be used; the message names what is wrong, one line."""


@dataclass(frozen=True, slots=True)
class BankAccount:
    iban: str  # electronic format
    bic: str | None = None

    @property
    def country(self) -> str:
        return self.iban[:2]

    @property
    def in_sepa_zone(self) -> bool:
        """The IBAN's country takes part in the SEPA credit transfer scheme: schwifty's answer
        is its country's IBAN spec, so it is asked once a country. Why: a 1M day's payouts
        asked it 39,408 times, each parsing and checking an IBAN again (~1 s of CPU)."""
        country = self.country
        known = _SEPA_COUNTRIES.get(country)
        if known is None:
            known = _SEPA_COUNTRIES[country] = bool(IBAN(self.iban).in_sepa_zone)
        return known


_SEPA_COUNTRIES: dict[str, bool] = {}  # the IBAN country -> in the SEPA scheme


def _compact(text: str, what: str, max_chars: int) -> str:
    if len(text) > max_chars:
        raise BankAccountInvalid(f"{what} has {len(text)} characters, at most {max_chars}")
    compact = text.replace(" ", "")
    if not _ALPHANUMERIC.fullmatch(compact):
        raise BankAccountInvalid(f"{what} holds characters other than A-Z, 0-9 and spaces")
    return compact.upper()


def parse_iban(text: str) -> str:
    """The IBAN in electronic format; raises BankAccountInvalid (the value is not quoted:
    the caller quotes it masked, since a card number may have been pasted here)."""
    compact = _compact(text, "iban", _IBAN_TEXT_MAX_CHARS)
    try:
        return str(IBAN(compact))
    except InvalidCountryCode:
        raise BankAccountInvalid(f"iban: {compact[:2]} is not a country with IBANs") from None
    except InvalidLength:
        raise BankAccountInvalid(
            f"iban has {len(compact)} characters, not the length of a {compact[:2]} IBAN"
        ) from None
    except InvalidChecksumDigits:
        raise BankAccountInvalid("iban check digits are wrong (ISO 13616 mod 97)") from None
    except SchwiftyException:
        raise BankAccountInvalid(
            f"iban does not have the structure of a {compact[:2]} IBAN"
        ) from None


def parse_bic(text: str) -> str:
    """The BIC in upper case (8 or 11 characters); raises BankAccountInvalid."""
    compact = _compact(text, "bic", BIC_MAX_CHARS)
    try:
        return str(BIC(compact))
    except SchwiftyException:
        raise BankAccountInvalid(
            "bic is not a BIC: 4 letters (bank), 2 letters (country), 2 letters or digits"
            " (location), optionally 3 more (branch)"
        ) from None


def bic_fits_iban(bic: str, iban: str) -> bool:
    country, bic_country = iban[:2], bic[4:6]
    return bic_country == country or bic_country in IBAN_TERRITORIES.get(country, frozenset())


@lru_cache(maxsize=4096)
def bank_account(iban_text: str, bic_text: str) -> BankAccount | None:
    """The account of a merchants.csv line's `iban` and `bic` (either may be empty: None
    when both are); raises BankAccountInvalid. Remembered for the last 4,096 accounts: a
    chain's outlets settle into the chain's account, so a file names each account on many
    lines, and schwifty's check is most of a line's cost (a refusal is not remembered: it
    is checked again, with the same result)."""
    if not iban_text:
        if bic_text:
            raise BankAccountInvalid("bic without an iban: a BIC names a bank, not an account")
        return None
    iban = parse_iban(iban_text)
    if not bic_text:
        return BankAccount(iban)
    bic = parse_bic(bic_text)
    if not bic_fits_iban(bic, iban):
        raise BankAccountInvalid(
            f"bic {bic} is a bank in {bic[4:6]}, the iban an account in {iban[:2]}"
        )
    return BankAccount(iban, bic)
