"""The day's SEPA credit transfer file: which payouts it sends, from which account, when.

`payouts-<date>.pain.001.xml` holds the date's euro payouts that can be sent (`transfer` =
`sepa` in the payout CSV) as one ISO 20022 pain.001.001.09 message (docs/payouts.md). Its
content comes from the committed payout rows, the merchants' accounts and the business
date: the debtor is the acquirer's settlement account (`CARDSETTLE_SEPA_DEBTOR_*`), and the
creation time is the date's cutoff, the moment its payouts became final, not the clock, so
a re-run or a restore writes the identical bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from settlement.adapters.eod_store import read_payouts
from settlement.config import Settings
from settlement.domain.bank_accounts import BankAccount
from settlement.domain.calendar import cutoff_instant
from settlement.domain.credit_transfer import (
    Party,
    PaymentOrder,
    Transfer,
    payment_order,
    payout_transfer,
    transfer_of,
)
from settlement.domain.netting import due_minor

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass(frozen=True, slots=True)
class BankFileTerms:
    """Who pays, and the order's creation time."""

    debtor: Party
    created_at_utc: datetime


def bank_terms(settings: Settings, day: date) -> BankFileTerms:
    account = BankAccount(settings.sepa_debtor_iban, settings.sepa_debtor_bic or None)
    created = cutoff_instant(day, settings.zone, settings.cutoff_time)
    return BankFileTerms(Party(settings.sepa_debtor_name, account), created)


def bank_file_path(day: date, directory: Path) -> Path:
    return directory / f"payouts-{day.isoformat()}.pain.001.xml"


@dataclass(frozen=True, slots=True)
class PayoutStatement:
    """A committed payout row, with its merchant's account and how it leaves."""

    merchant_id: str
    currency: str
    purchases_minor: int
    refunds_minor: int
    fees_minor: int
    fx_markup_minor: int
    payout_minor: int
    direction: str
    line_count: int
    carried_in_minor: int
    carried_out_minor: int
    due_minor: int
    transfer: Transfer
    name: str
    account: BankAccount | None

    @property
    def carry_minor(self) -> tuple[int, int, int]:
        """(carried in, carried out, amount due): the payout CSV's carry columns."""
        return self.carried_in_minor, self.carried_out_minor, self.due_minor


def payout_statements(engine: Engine, day: date) -> list[PayoutStatement]:
    """The date's committed payouts by merchant and currency, each with its transfer."""
    found = []
    for row in read_payouts(engine, day):
        carried_in, carried_out = int(row.carried_in_minor), int(row.carried_out_minor)
        due = due_minor(int(row.payout_minor), carried_in, carried_out)
        account = None if row.iban is None else BankAccount(row.iban, row.bic)
        found.append(
            PayoutStatement(
                row.merchant_id, row.currency, int(row.purchases_minor),
                int(row.refunds_minor), int(row.fees_minor), int(row.fx_markup_minor),
                int(row.payout_minor), row.direction, int(row.line_count), carried_in,
                carried_out, due, transfer_of(row.currency, due, carried_out, account),
                row.name or row.merchant_id, account,
            )
        )  # fmt: skip
    return found


def payment_order_of(
    day: date, statements: list[PayoutStatement], bank: BankFileTerms
) -> PaymentOrder | None:
    """The order of the statements whose transfer is `sepa`; None when there is none."""
    transfers = [
        payout_transfer(day, s.merchant_id, s.name, s.account, s.due_minor)
        for s in statements
        if s.transfer is Transfer.SEPA and s.account is not None
    ]
    return payment_order(day, bank.created_at_utc, bank.debtor, transfers)


def bank_order(engine: Engine, day: date, bank: BankFileTerms) -> PaymentOrder | None:
    return payment_order_of(day, payout_statements(engine, day), bank)
