"""The report's CSV files, streamed from the end-of-day tables in a fixed order by the
report read model (`settlement.adapters.report_reads.detail_rows`).

Every cell goes through `settlement.csv_cells.spreadsheet_safe` (no formula runs when a
file is opened in a spreadsheet). Amounts are decimal strings in major units with exactly
the currency's ISO 4217 decimals (`Money.format`, never a float), each beside its currency
column, so `Money.parse` reads them back to the same minor units. Rows stream through
with bounded memory, so a day of a million transactions writes its files without holding
them.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from settlement.counting import ProgressCallback, counted
from settlement.csv_cells import spreadsheet_safe_row
from settlement.domain.fx import rate_age_days
from settlement.domain.money import Money
from settlement.domain.netting import due_minor
from settlement.reports.reasons import CutoffOf, explain

if TYPE_CHECKING:
    from settlement.adapters.report_reads import ReportReads
    from settlement.adapters.report_reads.detail_rows import DetailRows
    from settlement.adapters.report_reads.records import (
        ExceptionItem,
        FlaggedTransaction,
        LedgerEntry,
        MerchantPayout,
        ReconItem,
        SettlementLine,
    )


def amount(minor: int | None, currency: str) -> str:
    return "" if minor is None else Money(int(minor), currency).format()


@dataclass(frozen=True, slots=True)
class CsvFile:
    name: str
    header: tuple[str, ...]
    rows: Callable[[DetailRows, date], Iterable[Any]]  # the read model's stream of the file
    row: Callable[..., Sequence[Any]]  # (record) or, for exceptions.csv, (record, cutoff_of)


def _recon_row(r: ReconItem) -> Sequence[Any]:
    return (
        r.transaction_id, r.journal_transaction_id or "", r.business_date.isoformat(),
        r.merchant_id, r.terminal_id, r.transaction_type, r.original_transaction_id or "",
        r.currency, amount(r.staged_amount_minor, r.currency),
        amount(r.journal_amount_minor, r.currency), r.recon_class, r.match_method or "",
        r.outcome, r.reason or "", r.age_business_days, r.reason_detail or "",
    )  # fmt: skip


def _exception_row(r: ExceptionItem, cutoff_of: CutoffOf) -> Sequence[Any]:
    """`reason` is the reason beyond the class (lost, rejected, sent after the cutoff...),
    `reason_detail` the sentence the HTML shows beside it, `reject_reason` the gateway's
    reject code of a journal line never staged, `late_by_minutes` a late item's lateness."""
    staged, journal = r.staged_amount_minor, r.journal_amount_minor
    difference = None if staged is None or journal is None else journal - staged
    why = explain(r, cutoff_of)
    return (
        r.transaction_id, r.recon_class, r.outcome, why.reason,
        r.business_date.isoformat(), r.age_business_days, r.merchant_id, r.terminal_id,
        r.transaction_type, r.currency, amount(r.staged_amount_minor, r.currency),
        amount(r.journal_amount_minor, r.currency), amount(difference, r.currency),
        why.detail, r.reject_reason or "", "" if why.late_by_min is None else why.late_by_min,
    )  # fmt: skip


def _fraud_row(r: FlaggedTransaction) -> Sequence[Any]:
    currency = r.currency or ""
    staged = amount(r.staged_amount_minor, currency) if currency else ""
    return (
        r.transaction_id, r.rule, r.score, r.reason, r.action, r.decision_score,
        r.outcome or "", r.held_reason or "", r.merchant_id or "", currency, staged,
    )  # fmt: skip


def _settlement_row(r: SettlementLine) -> Sequence[Any]:
    dst = r.settlement_currency
    return (
        r.transaction_id, r.merchant_id, r.transaction_type, r.original_currency,
        amount(r.original_amount_minor, r.original_currency), r.rate, r.rate_date.isoformat(),
        r.rate_source, dst, amount(r.converted_amount_minor, dst), amount(r.fee_minor, dst),
        amount(r.fx_markup_minor, dst), rate_age_days(r.rate_date, r.run_date),
    )  # fmt: skip


def _payout_row(r: MerchantPayout) -> Sequence[Any]:
    c = r.currency
    return (
        r.merchant_id, r.name or "", c, amount(r.purchases_minor, c), amount(r.refunds_minor, c),
        amount(r.fees_minor, c), amount(r.fx_markup_minor, c), amount(r.payout_minor, c),
        r.direction, r.line_count, amount(r.carried_in_minor, c), amount(r.carried_out_minor, c),
        amount(due_minor(r.payout_minor, r.carried_in_minor, r.carried_out_minor), c),
    )  # fmt: skip


def _ledger_row(r: LedgerEntry) -> Sequence[Any]:
    c = r.currency
    return (r.entry_no, r.account, c, amount(r.debit_minor, c), amount(r.credit_minor, c), r.memo)


CSV_FILES = (
    CsvFile("reconciliation.csv", (
        "transaction_id", "journal_transaction_id", "business_date", "merchant_id",
        "terminal_id", "transaction_type", "original_transaction_id", "currency",
        "staged_amount", "journal_amount", "recon_class", "match_method", "outcome", "reason",
        "age_business_days", "reason_detail"),
        lambda rows, day: rows.reconciliation_items(day), _recon_row),
    CsvFile("exceptions.csv", (
        "transaction_id", "recon_class", "outcome", "reason", "business_date",
        "age_business_days", "merchant_id", "terminal_id", "transaction_type", "currency",
        "staged_amount", "journal_amount", "difference", "reason_detail", "reject_reason",
        "late_by_minutes"),
        lambda rows, day: rows.exceptions(day), _exception_row),
    CsvFile("fraud.csv", (
        "transaction_id", "rule", "rule_score", "reason", "decision", "decision_score",
        "outcome", "held_reason", "merchant_id", "currency", "amount"),
        lambda rows, day: rows.flagged_transactions(day), _fraud_row),
    CsvFile("settlement.csv", (
        "transaction_id", "merchant_id", "transaction_type", "original_currency",
        "original_amount", "rate", "rate_date", "rate_source", "settlement_currency",
        "converted_amount", "fee", "fx_markup", "rate_age_days"),
        lambda rows, day: rows.settlement_lines(day), _settlement_row),
    CsvFile("payouts.csv", (
        "merchant_id", "merchant_name", "currency", "purchases", "refunds", "fees", "fx_markup",
        "payout", "direction", "line_count", "carried_in", "carried_out", "amount_due"),
        lambda rows, day: rows.payouts(day), _payout_row),
    CsvFile("ledger.csv", (
        "entry_no", "account", "currency", "debit", "credit", "memo"),
        lambda rows, day: rows.ledger_entries(day), _ledger_row),
)  # fmt: skip


CSV_NAMES = tuple(spec.name for spec in CSV_FILES)


def _rows(
    reads: DetailRows, spec: CsvFile, day: date, cutoff_of: CutoffOf
) -> Iterator[Sequence[Any]]:
    """The file's rows with every cell spreadsheet-safe (a merchant named "=HYPERLINK(...)"
    stays text in Excel); amounts are plain numbers and pass unchanged."""
    row = partial(_exception_row, cutoff_of=cutoff_of) if spec.row is _exception_row else spec.row
    for record in spec.rows(reads, day):
        yield spreadsheet_safe_row(row(record))


def write_csv_files(
    reads: ReportReads,
    day: date,
    directory: Path,
    cutoff_of: CutoffOf,
    progress: ProgressCallback | None = None,
) -> list[Path]:
    """Write every CSV of the date into `directory`; returns their paths in a fixed order.
    `cutoff_of` places a date's cutoff, for how late a late exception is; `progress` is told
    the rows written, per chunk, across all the files."""
    written = []
    for spec in CSV_FILES:
        target = directory / spec.name
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(spec.header)
            writer.writerows(counted(_rows(reads.detail, spec, day, cutoff_of), progress))
        written.append(target)
    return written
