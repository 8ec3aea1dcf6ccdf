"""The payouts a bank can send, and the content of the SEPA credit transfer order for them.

How a payout leaves (`transfer_of`, one rule for the payout CSV and the bank file):
- a merchant whose day nets to a debit is paid nothing: the debit is carried to its next
  payout (`carried_forward`), never collected by this file;
- a payout of exactly zero sends nothing (`nothing_due`: SEPA has no zero transfer);
- SEPA credit transfers are in euro only: another currency stays in the CSV for another
  channel (`not_sepa_currency`);
- a merchant without an IBAN cannot be paid by transfer (`no_bank_account`), nor one whose
  IBAN is outside the SEPA scheme (`not_sepa_account`);
- a SEPA credit transfer is at most 999,999,999.99 EUR (EPC SCT rulebook, AT-04; the
  EPC implementation guidelines' amount facet): a larger payout goes by another channel
  (`above_sepa_maximum`), since one amount over it makes a bank reject the whole file;
- everything else is one transaction of the day's order (`sepa`).

The order (`PaymentOrder`) is the ISO 20022 pain.001.001.09 content as values: one payment
information block, one transaction per merchant. Everything in it is derived from the
business date and the payouts, never from a clock or a random source, so re-running a date
gives the identical file: the end-to-end id is the payout's identity (date, currency,
merchant); the message id carries a digest of the content, so a re-run that changed nothing
repeats the id (and a bank's duplicate check drops the second delivery), while a re-run that
changed a payout gets a new one (and is not dropped as a duplicate). Text is cut down to the
SEPA character set (EPC217-08): Latin letters, digits and `/ - ? : ( ) . , ' +` and space.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final

from anyascii import anyascii

from settlement.domain.bank_accounts import BankAccount
from settlement.domain.calendar import next_target_business_day
from settlement.domain.cards import could_hold_pan, mask_pans

SEPA_CURRENCY: Final = "EUR"
NAME_MAX_CHARS: Final = 70  # EPC: a name's 140 characters of the schema are cut to 70
REMITTANCE_MAX_CHARS: Final = 140
ID_MAX_CHARS: Final = 35
SEPA_MAX_AMOUNT_MINOR: Final = 99_999_999_999  # 999,999,999.99 EUR, EPC SCT rulebook AT-04
_SEPA_CHARACTERS: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ "
)
# An id's characters: the set less space; it never starts or ends with '/' nor holds '//'.
_ID = re.compile(r"(?!/)(?!.*//)[A-Za-z0-9/\-?:().,'+]{1,35}(?<!/)")
_SPELLED: Final = {"&": "+", "@": "(at)", "_": "-", "\u20ac": "EUR", '"': "'"}


class Transfer(StrEnum):
    """How a payout leaves: the payout CSV's `transfer` column."""

    SEPA = "sepa"
    CARRIED_FORWARD = "carried_forward"
    NOTHING_DUE = "nothing_due"
    NOT_SEPA_CURRENCY = "not_sepa_currency"
    NO_BANK_ACCOUNT = "no_bank_account"
    NOT_SEPA_ACCOUNT = "not_sepa_account"
    ABOVE_SEPA_MAXIMUM = "above_sepa_maximum"


def transfer_of(
    currency: str, due_minor: int, carried_out_minor: int, account: BankAccount | None
) -> Transfer:
    """The rule above, in its order."""
    if carried_out_minor > 0:
        return Transfer.CARRIED_FORWARD
    if due_minor <= 0:
        return Transfer.NOTHING_DUE
    if currency != SEPA_CURRENCY:
        return Transfer.NOT_SEPA_CURRENCY
    if account is None:
        return Transfer.NO_BANK_ACCOUNT
    if not account.in_sepa_zone:
        return Transfer.NOT_SEPA_ACCOUNT
    return Transfer.SEPA if due_minor <= SEPA_MAX_AMOUNT_MINOR else Transfer.ABOVE_SEPA_MAXIMUM


def sepa_text(text: str, max_chars: int) -> str:
    """`text` in the SEPA character set: transliterated (ä -> a, ß -> ss, 東京 -> DongJing),
    `&` as `+`, any other character (controls, `<`, `;`, emoji...) a space; spaces
    collapsed; cut to `max_chars`; a card number in it masked."""
    latin = anyascii("".join(_SPELLED.get(char, char) for char in text))
    kept = "".join(char if char in _SEPA_CHARACTERS else " " for char in latin)
    cut = " ".join(kept.split())[:max_chars].rstrip()
    # Transliteration makes digits of characters no PAN scan reads as digits (circled,
    # superscript: "④①①①..." -> "4111..."): whatever became card-number shaped is masked,
    # with X (the SEPA set has no '*'), so the bank file never carries a PAN.
    return mask_pans(cut).replace("*", "X") if could_hold_pan(cut) else cut


def end_to_end_id(day: date, merchant_id: str, currency: str) -> str:
    """The payout's stable id: `YYYYMMDD-CUR-merchant`; a merchant id that does not fit the
    35 characters or the id character set is replaced by 22 hex digits of its SHA-256,
    after `+` instead of `-` (`YYYYMMDD-CUR+digest`), so that no merchant's plain id can
    spell another's digest (a merchant named `H` + those digits once did)."""
    plain = f"{day:%Y%m%d}-{currency}-{merchant_id}"
    if _ID.fullmatch(plain):
        return plain
    digest = hashlib.sha256(merchant_id.encode()).hexdigest()[:22]
    return f"{day:%Y%m%d}-{currency}+{digest}"


@dataclass(frozen=True, slots=True)
class Party:
    """A debtor or creditor: a name in the SEPA set and an account."""

    name: str
    account: BankAccount


@dataclass(frozen=True, slots=True)
class CreditTransfer:
    end_to_end_id: str
    amount_minor: int  # euro cents, > 0
    creditor: Party
    remittance: str


def payout_transfer(
    day: date, merchant_id: str, name: str, account: BankAccount, amount_minor: int
) -> CreditTransfer:
    """One merchant's euro payout as a transaction of the day's order."""
    if amount_minor <= 0:
        raise ValueError(f"{merchant_id}: a credit transfer of {amount_minor} cents")
    creditor = Party(sepa_text(name, NAME_MAX_CHARS) or sepa_text(merchant_id, 70), account)
    identity = end_to_end_id(day, merchant_id, SEPA_CURRENCY)
    remittance = f"Card settlement {day.isoformat()} payout {identity}"
    return CreditTransfer(identity, amount_minor, creditor, remittance)


@dataclass(frozen=True, slots=True)
class PaymentOrder:
    """One pain.001 message: the day's euro payouts from the acquirer's account."""

    message_id: str
    payment_information_id: str
    created_at_utc: datetime
    execution_date: date
    debtor: Party
    transfers: tuple[CreditTransfer, ...]

    @property
    def count(self) -> int:
        return len(self.transfers)

    @property
    def control_sum_minor(self) -> int:
        return sum(t.amount_minor for t in self.transfers)


def _digest(
    day: date, debtor: Party, execution_date: date, transfers: Iterable[CreditTransfer]
) -> str:
    parts = [day.isoformat(), execution_date.isoformat(), debtor.name, str(debtor.account)]
    parts += [f"{t.end_to_end_id}|{t.amount_minor}|{t.creditor}|{t.remittance}" for t in transfers]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def payment_order(
    day: date, created_at_utc: datetime, debtor: Party, transfers: Iterable[CreditTransfer]
) -> PaymentOrder | None:
    """The day's order, transactions by end-to-end id; None when nothing is to be sent (a
    pain.001 holds at least one transaction). Executed on the next TARGET business day:
    the file is made after the date's cutoff, when its own interbank day is over."""
    ordered = tuple(sorted(transfers, key=lambda t: t.end_to_end_id))
    if not ordered:
        return None
    execution = next_target_business_day(day)
    digest = _digest(day, debtor, execution, ordered)
    return PaymentOrder(
        f"CS{day:%Y%m%d}-{digest[:24]}",
        f"CS{day:%Y%m%d}-EUR-{digest[:20]}",
        created_at_utc,
        execution,
        Party(sepa_text(debtor.name, NAME_MAX_CHARS), debtor.account),
        ordered,
    )
