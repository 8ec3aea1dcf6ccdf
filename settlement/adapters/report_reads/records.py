"""The rows the report reads, as typed records named for what they hold.

Each record lists the columns it reads by name, and the queries select exactly those
columns (`columns_of`), so a record and its query cannot drift apart. Values stay as stored:
integer minor units beside their currency, dates as dates; formatting is the report's job.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Table


def columns_of(table: Table, fields: tuple[str, ...]) -> list[ColumnElement[Any]]:
    """The table's columns named by a record's `_fields`, in the record's order."""
    return [table.c[name] for name in fields]


class StoredRun(NamedTuple):
    """A date's end-of-day run, its timings and fraud scorecard decoded from their JSON."""

    business_date: date
    run_id: str
    status: str
    attempt: int
    started_at: datetime
    finished_at: datetime | None
    timings: dict[str, float]
    scorecard: dict[str, Any] | None


class ReconItem(NamedTuple):
    """One reconciliation item: what happened to a transaction (or a journal line)."""

    transaction_id: str
    journal_transaction_id: str | None
    business_date: date
    merchant_id: str
    terminal_id: str
    transaction_type: str
    original_transaction_id: str | None
    currency: str
    staged_amount_minor: int | None  # None: journal only
    journal_amount_minor: int | None  # None: never in the journal
    recon_class: str
    match_method: str | None
    outcome: str
    reason: str | None
    age_business_days: int
    reason_detail: str | None  # e.g. no_rate: which currency, its latest rate and its age


class ExceptionItem(NamedTuple):
    """An exception (or a journal line never staged) with the facts that say why: the
    gateway's first reject of its transaction id (journal lines never staged only), and
    when the terminal sent it and the gateway received it (staged rows only)."""

    transaction_id: str
    journal_transaction_id: str | None
    business_date: date
    merchant_id: str
    terminal_id: str
    transaction_type: str
    original_transaction_id: str | None
    currency: str
    staged_amount_minor: int | None
    journal_amount_minor: int | None
    recon_class: str
    match_method: str | None
    outcome: str
    reason: str | None
    age_business_days: int
    reason_detail: str | None
    reject_reason: str | None  # None: the gateway rejected no message with this id
    reject_detail: str | None  # PAN-masked when it was written
    sent_at: datetime | None
    received_at: datetime | None


class HeldItem(NamedTuple):
    """A held item with the fraud rules that held it and their score (None: not fraud)."""

    item: ReconItem
    rules: str | None
    fraud_score: int | None


class FlaggedTransaction(NamedTuple):
    """One fraud rule's flag on a transaction, with the decision and what became of it."""

    transaction_id: str
    rule: str
    score: int
    reason: str
    action: str
    decision_score: int
    outcome: str | None  # None: the flagged transaction has no reconciliation item
    held_reason: str | None
    merchant_id: str | None
    currency: str | None
    staged_amount_minor: int | None


class SettlementLine(NamedTuple):
    transaction_id: str
    merchant_id: str
    transaction_type: str
    original_amount_minor: int
    original_currency: str
    settlement_currency: str
    converted_amount_minor: int
    fee_minor: int
    fx_markup_minor: int
    rate: str
    rate_date: date
    rate_source: str
    run_date: date  # the business date whose rate it is: the rate's age is from it


class MerchantPayout(NamedTuple):
    """One merchant's payout in one settlement currency, with the merchant's name (None:
    a merchant no longer in the master data)."""

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
    name: str | None


class LedgerEntry(NamedTuple):
    entry_no: int
    account: str
    currency: str
    debit_minor: int
    credit_minor: int
    memo: str


class FxRate(NamedTuple):
    """A rate the run converted through (`fx_conversions`), without its lines."""

    from_currency: str
    to_currency: str
    rate: str
    minor_numerator: int
    minor_denominator: int
    rate_date: date
    source: str


class TerminalTotals(NamedTuple):
    """A terminal's journal and staged totals in one currency that differ."""

    terminal_id: str
    currency: str
    journal_minor: int
    staged_minor: int
    difference_minor: int


class RuleCount(NamedTuple):
    rule: str
    flags: int
    held: int  # flagged transactions held for fraud (review or decline)


class BatchTotals(NamedTuple):
    """The gateway batches of a window, summed (`gateway_batches`)."""

    batches: int
    consumers: int
    received: int
    staged: int
    duplicates: int
    rejected: int
    failed: int
    latency_ms_sum: int
    latency_ms_max: int


class BatchSizeTotals(NamedTuple):
    """The batches of one configured batch size (1: asynchronous) in a window."""

    max_batch: int
    batches: int
    consumers: int
    received: int
    staged: int
    latency_ms_sum: int
    latency_ms_max: int
