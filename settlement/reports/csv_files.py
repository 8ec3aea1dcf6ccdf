"""The report's CSV files, streamed from the end-of-day tables in a fixed order.

Every cell goes through `settlement.csv_cells.spreadsheet_safe` (no formula runs when a
file is opened in a spreadsheet). Amounts are decimal strings in major units with exactly
the currency's ISO 4217 decimals (`Money.format`, never a float), each beside its currency
column, so `Money.parse` reads them back to the same minor units. Rows stream through
with bounded memory, so a day of a million transactions writes its files without holding
them.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Select, and_, select

from settlement.adapters.eod_tables import (
    fraud_decisions,
    fraud_flags,
    ledger_entries,
    payouts,
    reconciliation_items,
    settlement_lines,
)
from settlement.adapters.tables import merchants
from settlement.csv_cells import spreadsheet_safe_row
from settlement.domain.money import Money
from settlement.reports.gather_recon import exception_filter

ri, ff, fd, sl, po, le = (
    reconciliation_items, fraud_flags, fraud_decisions, settlement_lines, payouts, ledger_entries
)  # fmt: skip
_STREAM = {"stream_results": True, "yield_per": 10_000}


def amount(minor: int | None, currency: str) -> str:
    return "" if minor is None else Money(int(minor), currency).format()


@dataclass(frozen=True, slots=True)
class CsvFile:
    name: str
    header: tuple[str, ...]
    query: Callable[[date], Select[Any]]
    row: Callable[[Any], Sequence[Any]]


def _recon_query(day: date) -> Select[Any]:
    return select(ri).where(ri.c.run_date == day).order_by(ri.c.transaction_id)


def _recon_row(r: Any) -> Sequence[Any]:
    return (
        r.transaction_id, r.journal_transaction_id or "", r.business_date.isoformat(),
        r.merchant_id, r.terminal_id, r.transaction_type, r.original_transaction_id or "",
        r.currency, amount(r.staged_amount_minor, r.currency),
        amount(r.journal_amount_minor, r.currency), r.recon_class, r.match_method or "",
        r.outcome, r.reason or "", r.age_business_days,
    )  # fmt: skip


def _exceptions_query(day: date) -> Select[Any]:
    return select(ri).where(exception_filter(day)).order_by(ri.c.recon_class, ri.c.transaction_id)


def _exception_row(r: Any) -> Sequence[Any]:
    both = r.staged_amount_minor is not None and r.journal_amount_minor is not None
    difference = r.journal_amount_minor - r.staged_amount_minor if both else None
    return (
        r.transaction_id, r.recon_class, r.outcome, r.reason or r.recon_class,
        r.business_date.isoformat(), r.age_business_days, r.merchant_id, r.terminal_id,
        r.transaction_type, r.currency, amount(r.staged_amount_minor, r.currency),
        amount(r.journal_amount_minor, r.currency), amount(difference, r.currency),
    )  # fmt: skip


def _fraud_query(day: date) -> Select[Any]:
    joined = ff.join(
        fd, and_(fd.c.run_date == ff.c.run_date, fd.c.transaction_id == ff.c.transaction_id)
    ).outerjoin(
        ri, and_(ri.c.run_date == ff.c.run_date, ri.c.transaction_id == ff.c.transaction_id)
    )
    columns = (
        ff.c.transaction_id, ff.c.rule, ff.c.score, ff.c.reason, fd.c.action,
        fd.c.score.label("decision_score"), ri.c.outcome, ri.c.reason.label("held_reason"),
        ri.c.merchant_id, ri.c.currency, ri.c.staged_amount_minor,
    )  # fmt: skip
    return (
        select(*columns)
        .select_from(joined)
        .where(ff.c.run_date == day)
        .order_by(ff.c.transaction_id, ff.c.rule)
    )


def _fraud_row(r: Any) -> Sequence[Any]:
    currency = r.currency or ""
    staged = amount(r.staged_amount_minor, currency) if currency else ""
    return (
        r.transaction_id, r.rule, r.score, r.reason, r.action, r.decision_score,
        r.outcome or "", r.held_reason or "", r.merchant_id or "", currency, staged,
    )  # fmt: skip


def _settlement_query(day: date) -> Select[Any]:
    return select(sl).where(sl.c.run_date == day).order_by(sl.c.transaction_id)


def _settlement_row(r: Any) -> Sequence[Any]:
    dst = r.settlement_currency
    return (
        r.transaction_id, r.merchant_id, r.transaction_type, r.original_currency,
        amount(r.original_amount_minor, r.original_currency), r.rate, r.rate_date.isoformat(),
        r.rate_source, dst, amount(r.converted_amount_minor, dst), amount(r.fee_minor, dst),
        amount(r.fx_markup_minor, dst),
    )  # fmt: skip


def _payouts_query(day: date) -> Select[Any]:
    return (
        select(po, merchants.c.name)
        .select_from(po.outerjoin(merchants, merchants.c.merchant_id == po.c.merchant_id))
        .where(po.c.run_date == day)
        .order_by(po.c.merchant_id, po.c.currency)
    )


def _payout_row(r: Any) -> Sequence[Any]:
    c = r.currency
    return (
        r.merchant_id, r.name or "", c, amount(r.purchases_minor, c), amount(r.refunds_minor, c),
        amount(r.fees_minor, c), amount(r.fx_markup_minor, c), amount(r.payout_minor, c),
        r.direction, r.line_count,
    )  # fmt: skip


def _ledger_query(day: date) -> Select[Any]:
    return select(le).where(le.c.run_date == day).order_by(le.c.entry_no)


def _ledger_row(r: Any) -> Sequence[Any]:
    c = r.currency
    return (r.entry_no, r.account, c, amount(r.debit_minor, c), amount(r.credit_minor, c), r.memo)


CSV_FILES = (
    CsvFile("reconciliation.csv", (
        "transaction_id", "journal_transaction_id", "business_date", "merchant_id",
        "terminal_id", "transaction_type", "original_transaction_id", "currency",
        "staged_amount", "journal_amount", "recon_class", "match_method", "outcome", "reason",
        "age_business_days"), _recon_query, _recon_row),
    CsvFile("exceptions.csv", (
        "transaction_id", "recon_class", "outcome", "reason", "business_date",
        "age_business_days", "merchant_id", "terminal_id", "transaction_type", "currency",
        "staged_amount", "journal_amount", "difference"), _exceptions_query, _exception_row),
    CsvFile("fraud.csv", (
        "transaction_id", "rule", "rule_score", "reason", "decision", "decision_score",
        "outcome", "held_reason", "merchant_id", "currency", "amount"), _fraud_query, _fraud_row),
    CsvFile("settlement.csv", (
        "transaction_id", "merchant_id", "transaction_type", "original_currency",
        "original_amount", "rate", "rate_date", "rate_source", "settlement_currency",
        "converted_amount", "fee", "fx_markup"), _settlement_query, _settlement_row),
    CsvFile("payouts.csv", (
        "merchant_id", "merchant_name", "currency", "purchases", "refunds", "fees", "fx_markup",
        "payout", "direction", "line_count"), _payouts_query, _payout_row),
    CsvFile("ledger.csv", (
        "entry_no", "account", "currency", "debit", "credit", "memo"), _ledger_query,
        _ledger_row),
)  # fmt: skip


def _rows(conn: Connection, spec: CsvFile, day: date) -> Iterator[Sequence[Any]]:
    """The file's rows with every cell spreadsheet-safe (a merchant named "=HYPERLINK(...)"
    stays text in Excel); amounts are plain numbers and pass unchanged."""
    for row in conn.execute(spec.query(day), execution_options=_STREAM):
        yield spreadsheet_safe_row(spec.row(row))


def write_csv_files(engine: Engine, day: date, directory: Path) -> list[Path]:
    """Write every CSV of the date into `directory`; returns their paths in a fixed order."""
    written = []
    with engine.connect() as conn:
        for spec in CSV_FILES:
            target = directory / spec.name
            with target.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(spec.header)
                writer.writerows(_rows(conn, spec, day))
            written.append(target)
    return written
