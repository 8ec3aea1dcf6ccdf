"""The report's CSV files, streamed from the end-of-day tables in a fixed order by the
report read model (`settlement.adapters.report_reads.detail_rows`).

Every cell is spreadsheet-safe (`settlement.csv_cells`: no formula runs when a file is
opened in a spreadsheet). Amounts are decimal strings in major units with exactly the
currency's ISO 4217 decimals (`Money.format`'s text, made by `amount_text`; never a
float), each beside its currency column, so `Money.parse` reads them back to the same minor
units. Rows stream through in chunks with bounded memory, so a day of a million
transactions writes its files without holding them.

The big files (reconciliation, settlement, fraud) are the report's time at 1M
transactions: each file's rows are made by one loop over a chunk of plain tuples
(`csv_rows`), and the chunk's stored text is checked for formula starts at once.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from settlement.counting import ProgressCallback
from settlement.csv_cells import spreadsheet_safe_chunk
from settlement.reports import csv_rows
from settlement.reports.amount_text import AmountMemos
from settlement.reports.reasons import CutoffOf

if TYPE_CHECKING:
    from settlement.adapters.report_reads import ReportReads
    from settlement.adapters.report_reads.detail_rows import DetailRows

Chunk = Sequence[Any]


@dataclass(frozen=True, slots=True)
class CsvFile:
    name: str
    header: tuple[str, ...]
    chunks: Callable[[DetailRows, date], Iterable[Chunk]]  # the read model's stream of it
    # A chunk's rows of the file, its amounts' text from the file's own memo.
    rows: Callable[[Chunk, CutoffOf, AmountMemos], list[Sequence[Any]]]
    # The columns of stored text (ids, names, reasons): the rest are made here (amounts,
    # dates, numbers) and safe already. None: check every cell.
    text_columns: tuple[int, ...] | None


CSV_FILES = (
    CsvFile("reconciliation.csv", (
        "transaction_id", "journal_transaction_id", "business_date", "merchant_id",
        "terminal_id", "transaction_type", "original_transaction_id", "currency",
        "staged_amount", "journal_amount", "recon_class", "match_method", "outcome", "reason",
        "age_business_days", "reason_detail"),
        lambda rows, day: rows.reconciliation_chunks(day), csv_rows.reconciliation,
        (0, 1, 3, 4, 5, 6, 7, 10, 11, 12, 13, 15)),
    CsvFile("exceptions.csv", (
        "transaction_id", "recon_class", "outcome", "reason", "business_date",
        "age_business_days", "merchant_id", "terminal_id", "transaction_type", "currency",
        "staged_amount", "journal_amount", "difference", "reason_detail", "reject_reason",
        "late_by_minutes"),
        lambda rows, day: csv_rows.chunked(rows.exceptions(day)), csv_rows.exceptions, None),
    CsvFile("fraud.csv", (
        "transaction_id", "rule", "rule_score", "reason", "decision", "decision_score",
        "outcome", "held_reason", "merchant_id", "currency", "amount"),
        lambda rows, day: rows.flagged_chunks(day), csv_rows.fraud, (0, 1, 3, 4, 6, 7, 8, 9)),
    CsvFile("settlement.csv", (
        "transaction_id", "merchant_id", "transaction_type", "original_currency",
        "original_amount", "rate", "rate_date", "rate_source", "settlement_currency",
        "converted_amount", "fee", "fx_markup", "rate_age_days"),
        lambda rows, day: rows.settlement_chunks(day), csv_rows.settlement,
        (0, 1, 2, 3, 5, 7, 8)),
    CsvFile("payouts.csv", (
        "merchant_id", "merchant_name", "currency", "purchases", "refunds", "fees", "fx_markup",
        "payout", "direction", "line_count", "carried_in", "carried_out", "amount_due"),
        lambda rows, day: rows.payout_chunks(day), csv_rows.payouts, (0, 1, 2, 8)),
    CsvFile("ledger.csv", (
        "entry_no", "account", "currency", "debit", "credit", "memo"),
        lambda rows, day: rows.ledger_chunks(day), csv_rows.ledger, (1, 2, 5)),
)  # fmt: skip


CSV_NAMES = tuple(spec.name for spec in CSV_FILES)


def write_csv_files(
    reads: ReportReads,
    day: date,
    directory: Path,
    cutoff_of: CutoffOf,
    progress: ProgressCallback | None = None,
    *,
    observers: Mapping[str, Callable[[Chunk], object]] | None = None,
    names: Collection[str] = CSV_NAMES,
) -> list[Path]:
    """Write the CSVs of the date named in `names` (all by default) into `directory`;
    returns their paths in the fixed order. `cutoff_of` places a date's cutoff, for how late
    a late exception is; `progress` is told the rows written, per chunk, across all the
    files; `observers` (by file name) see each chunk of the read model's tuples that a file
    is written from (the page's tallies)."""
    unknown = set(names) - set(CSV_NAMES)
    if unknown:
        raise ValueError(f"no such report file: {', '.join(sorted(unknown))}")
    written = []
    for spec in (spec for spec in CSV_FILES if spec.name in names):
        target = directory / spec.name
        observe = (observers or {}).get(spec.name)
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(spec.header)
            texts = AmountMemos()  # one file's distinct amounts, dropped after it
            for chunk in spec.chunks(reads.detail, day):
                if observe is not None:
                    observe(chunk)
                rows = spec.rows(chunk, cutoff_of, texts)
                writer.writerows(spreadsheet_safe_chunk(rows, spec.text_columns))
                if progress is not None:
                    progress(len(rows))
        written.append(target)
    return written
