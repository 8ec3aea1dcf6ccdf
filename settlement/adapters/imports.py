"""Inputs of the end of day: merchants, the terminals' journal, operator FX rates (CSV).

Parsing of one row is the domain's (`parse_journal_row`, `Money.parse`); this module reads
files, reports bad lines by number, and writes in bulk. Each import is one transaction and
re-importing the same file changes nothing (journal rows are keyed by transaction_id; a
merchant or rate row is replaced by its newer version).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, Engine, delete, tuple_

from settlement.adapters.bulk import bulk_insert
from settlement.adapters.eod_tables import fx_rates, journal_entries
from settlement.adapters.tables import merchants
from settlement.config import Settings
from settlement.domain.currencies import is_known_currency
from settlement.domain.money import Money
from settlement.domain.reconciliation import JournalEntry, JournalFormatError, parse_journal_row

MAX_ERRORS_SHOWN = 10


@dataclass
class ImportReport:
    read: int = 0
    written: int = 0
    errors: list[str] = field(default_factory=list)
    rejected: int = 0

    @property
    def already_there(self) -> int:
        """Valid rows not written because an earlier import wrote them (a re-import)."""
        return self.read - self.rejected - self.written

    def reject(self, line_no: int, message: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_ERRORS_SHOWN:
            self.errors.append(f"line {line_no}: {message}")


def _rows(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    for number, row in enumerate(csv.DictReader(iter(lines)), start=2):
        yield number, {key: (value or "").strip() for key, value in row.items() if key}


def _merchant_row(row: dict[str, str]) -> tuple[Any, ...]:
    currency = row["settlement_currency"]
    fixed = Money.parse(row.get("fee_fixed") or "0", currency)
    mdr_bps = int(row["mdr_bps"])
    if not 0 <= mdr_bps <= 10_000 or fixed.amount_minor < 0:
        raise ValueError("mdr_bps must be 0..10000 and fee_fixed >= 0")
    keys = ("merchant_id", "name", "mcc", "country", "city", "timezone")
    return (*(row[key] for key in keys), currency, mdr_bps, fixed.amount_minor)


def import_merchants(engine: Engine, lines: Iterable[str]) -> ImportReport:
    report = ImportReport()
    parsed: list[tuple[Any, ...]] = []  # merchants are master data: thousands, not millions
    for number, row in _rows(lines):
        report.read += 1
        try:
            parsed.append(_merchant_row(row))
        except (KeyError, ValueError) as error:
            report.reject(number, str(error))
    columns = [column.name for column in merchants.columns]
    with engine.begin() as conn:
        ids = [row[0] for row in parsed]
        for start in range(0, len(ids), 500):
            conn.execute(
                delete(merchants).where(merchants.c.merchant_id.in_(ids[start : start + 500]))
            )
        report.written = bulk_insert(conn, merchants, columns, parsed)
    return report


_JOURNAL_COLUMNS = [column.name for column in journal_entries.columns]


def _journal_tuple(entry: JournalEntry, imported_at: datetime) -> tuple[Any, ...]:
    offset = entry.local_time.utcoffset()
    offset_min = int(offset.total_seconds() // 60) if offset is not None else 0
    return (
        entry.transaction_id, entry.terminal_id, entry.merchant_id, str(entry.transaction_type),
        entry.amount.amount_minor, entry.amount.currency, entry.local_time.replace(tzinfo=None),
        offset_min, entry.transacted_at, entry.business_date, entry.card_last4,
        entry.original_transaction_id, imported_at,
    )  # fmt: skip


def import_journal(
    engine: Engine, lines: Iterable[str], settings: Settings, now: datetime
) -> ImportReport:
    """Stream the journal into `journal_entries`; rows already imported are left as they are."""
    report = ImportReport()

    def valid() -> Iterator[tuple[Any, ...]]:
        for number, row in _rows(lines):
            report.read += 1
            try:
                entry = parse_journal_row(row, settings.zone, settings.cutoff_time)
            except JournalFormatError as error:
                report.reject(number, str(error))
                continue
            yield _journal_tuple(entry, now)

    with engine.begin() as conn:
        report.written = bulk_insert(
            conn, journal_entries, _JOURNAL_COLUMNS, valid(), skip_existing=True
        )
    return report


def _rate_row(row: dict[str, str]) -> tuple[date, str, str]:
    currency = row["currency"].upper()
    if not is_known_currency(currency):
        raise ValueError(f"unknown currency {currency!r}")
    text = row.get("units_per_eur") or row.get("rate") or ""
    try:
        rate = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"rate {text!r} is not a decimal number") from None
    if not rate.is_finite() or rate <= 0:
        raise ValueError(f"rate {text!r} must be a positive number")
    return date.fromisoformat(row["date"]), currency, str(rate)


def import_rates(engine: Engine, lines: Iterable[str], now: datetime) -> ImportReport:
    """Operator rates (date, currency, units_per_eur); a later import of a key replaces it."""
    report = ImportReport()
    parsed: dict[tuple[date, str], str] = {}
    for number, row in _rows(lines):
        report.read += 1
        try:
            day, currency, rate = _rate_row(row)
        except (KeyError, ValueError) as error:
            report.reject(number, str(error))
            continue
        parsed[(day, currency)] = rate
    with engine.begin() as conn:
        _replace_rates(conn, parsed, now)
    report.written = len(parsed)
    return report


def _replace_rates(conn: Connection, parsed: dict[tuple[date, str], str], now: datetime) -> None:
    keys = list(parsed)
    key_columns = tuple_(fx_rates.c.rate_date, fx_rates.c.currency)
    for start in range(0, len(keys), 500):
        conn.execute(delete(fx_rates).where(key_columns.in_(keys[start : start + 500])))
    rows = [(day, currency, rate, now) for (day, currency), rate in parsed.items()]
    bulk_insert(conn, fx_rates, ["rate_date", "currency", "units_per_eur", "imported_at"], rows)
