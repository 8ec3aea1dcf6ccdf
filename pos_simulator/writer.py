"""The day's output files, written while the day unfolds, in bounded memory.

Rows are buffered in small lists and flushed every few thousand lines. Late messages were
transmitted after the cutoff, so they belong at the end of messages.jsonl: they are spooled
to a side file and appended on close, when their line numbers become known. Every file is
UTF-8 with `\\n` line ends, so the same seed gives the same bytes on any platform.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TextIO

from pos_simulator.accounts import Account
from pos_simulator.amounts import amount_text
from pos_simulator.pools import Merchant
from pos_simulator.vocabulary import (
    FAULT_COLUMNS,
    JOURNAL_COLUMNS,
    LABEL_COLUMNS,
    MERCHANT_COLUMNS,
)
from settlement.counting import ProgressCallback
from settlement.csv_cells import spreadsheet_safe_row
from settlement.domain.currencies import minor_unit_exponent

FLUSH_ROWS = 4096
MESSAGES, JOURNAL, LABELS, FAULTS = "messages.jsonl", "journal.csv", "labels.csv", "faults.csv"
MERCHANTS = "merchants.csv"
_LATE_SPOOL = ".messages.late.spool"


def _open(path: Path) -> TextIO:
    return path.open("w", encoding="utf-8", newline="\n", buffering=1 << 20)


def write_merchants(path: Path, merchants: Iterable[Merchant], accounts: Iterable[Account]) -> None:
    """merchants.csv: each merchant with its settlement account (IBAN, BIC; empty if none)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(MERCHANT_COLUMNS)
        for m, (iban, bic) in zip(merchants, accounts, strict=True):
            currency = m.settlement_currency
            fee = amount_text(m.fee_fixed_minor, minor_unit_exponent(currency))
            row = (m.merchant_id, m.name, m.mcc.code, m.country.code, m.city, m.timezone)
            writer.writerow(spreadsheet_safe_row((*row, currency, m.mdr_bps, fee, iban, bic)))


class DayWriter:
    """messages.jsonl, journal.csv, labels.csv and faults.csv for one generated day."""

    def __init__(self, out_dir: Path, progress: ProgressCallback | None = None) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self._dir = out_dir
        self._progress = progress  # told the journal lines (transactions) of each flush
        self._files = {name: _open(out_dir / name) for name in (MESSAGES, JOURNAL, LABELS, FAULTS)}
        self._buffers: dict[str, list[str]] = {name: [] for name in self._files}
        self._files[JOURNAL].write(",".join(JOURNAL_COLUMNS) + "\n")
        self._files[LABELS].write(",".join(LABEL_COLUMNS) + "\n")
        self._files[FAULTS].write(",".join(FAULT_COLUMNS) + "\n")
        self._late: TextIO | None = None
        self.lines = 0  # messages.jsonl lines so far, late ones excluded until close
        self.messages_buffer = self._buffers[MESSAGES]  # hot path appends directly
        self.journal_buffer = self._buffers[JOURNAL]
        self.labels_buffer = self._buffers[LABELS]

    def message(self, line: str) -> int:
        """Append one message line; returns its 1-based line number."""
        self.messages_buffer.append(line)
        self.lines += 1
        return self.lines

    def fault(self, transaction_id: str, line: int | None, kind: str) -> None:
        self._buffers[FAULTS].append(f"{transaction_id},{'' if line is None else line},{kind}\n")

    def late(self, transaction_id: str, line: str) -> None:
        if self._late is None:
            self._late = _open(self._dir / _LATE_SPOOL)
        self._late.write(f"{transaction_id}\t{line}")

    def flush_if_full(self) -> None:
        if len(self.journal_buffer) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self._progress is not None and self.journal_buffer:
            self._progress(len(self.journal_buffer))
        for name, buffer in self._buffers.items():
            if buffer:
                self._files[name].write("".join(buffer))
                buffer.clear()

    def close(self) -> None:
        self.flush()
        if self._late is not None:
            self._late.close()
            self._append_late()
        self.flush()
        for handle in self._files.values():
            handle.close()

    def _append_late(self) -> None:
        spool = self._dir / _LATE_SPOOL
        with spool.open(encoding="utf-8", newline="\n") as handle:
            for entry in handle:
                transaction_id, _, line = entry.partition("\t")
                self.fault(transaction_id, self.message(line), "late")
                if len(self.messages_buffer) >= FLUSH_ROWS:
                    self.flush()
        spool.unlink()

    def __enter__(self) -> DayWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
