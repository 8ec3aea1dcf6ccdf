"""Build a small day for the in-memory end-of-day store from domain values: staged rows,
journal lines, merchants and rates, no database."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from settlement.adapters.eod_memory import StagedRow
from settlement.domain.money import Money
from settlement.domain.reconciliation import JournalEntry
from settlement.domain.transactions import EntryMode, StagedTransaction, TransactionType

OFFSET = timezone(timedelta(hours=1))  # Europe/Amsterdam in winter


def staged_row(
    transaction_id: str,
    amount: str,
    currency: str = "EUR",
    *,
    at: datetime,
    merchant_id: str = "M1",
    kind: TransactionType = TransactionType.PURCHASE,
    original: str | None = None,
    card: str | None = None,
    terminal_id: str | None = None,
) -> StagedRow:
    """A staged row sent when it happened; `at` is naive UTC, the local time +01:00."""
    transaction = StagedTransaction(
        transaction_id, kind, original, merchant_id, terminal_id or f"T-{transaction_id}",
        card or f"tok-{transaction_id}", "424242", "1111", "visa", "NL", "NL", "5411",
        EntryMode.CHIP, Money.parse(amount, currency).amount_minor, currency,
        at + timedelta(hours=1), 60, at, _business_date(at),
    )  # fmt: skip
    return StagedRow(transaction, at)


def journal_of(row: StagedRow, amount_minor: int | None = None) -> JournalEntry:
    """The terminal's journal line of a staged row (another amount: a mismatch)."""
    t = row.transaction
    amount = Money(t.amount_minor if amount_minor is None else amount_minor, t.currency)
    return JournalEntry(
        t.transaction_id, t.terminal_id, t.merchant_id, t.transaction_type, amount,
        t.local_time.replace(tzinfo=OFFSET), t.card_last4, t.original_transaction_id,
        t.business_date,
    )  # fmt: skip


def rates_on(day: date, **units_per_eur: str) -> dict[str, list[tuple[date, Decimal, str]]]:
    """Operator-imported rates of one day (source `imported`)."""
    return {code: [(day, Decimal(rate), "imported")] for code, rate in units_per_eur.items()}


def _business_date(at: datetime) -> date:
    """Before the 21:00 UTC cutoff (22:00 in Amsterdam): that day; the tests stay before it."""
    return at.date()
