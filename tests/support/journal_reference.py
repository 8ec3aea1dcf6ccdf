"""The journal import as it was before the fast path (main at 3fb4e92): every line through
the careful path as a stripped dict, the entry turned into a row, written by the generic
`bulk_insert` (SQLAlchemy's text for SQLite, text COPY + ON CONFLICT on PostgreSQL). Kept
so a differential test can hold the fast import to the same rows and the same rejects."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine

from settlement.adapters.bulk import bulk_insert
from settlement.adapters.eod_tables import journal_entries
from settlement.adapters.imports import ImportFileError, ImportReport, _each_valid
from settlement.config import Settings
from settlement.domain.journal_lines import JOURNAL_COLUMNS, journal_line, parse_journal_line
from settlement.domain.reconciliation import JournalEntry

_COLUMNS = [column.name for column in journal_entries.columns]


def reference_import_journal(
    engine: Engine, lines: Iterable[str], settings: Settings, now: datetime
) -> ImportReport:
    report = ImportReport()
    window, zone, cutoff = settings.time_window, settings.zone, settings.cutoff_time

    def parse(row: dict[str, str]) -> JournalEntry:
        return parse_journal_line(row, zone, cutoff, now, window)

    valid = (
        (*journal_line(entry), now)
        for _, entry in _each_valid(lines, JOURNAL_COLUMNS, report, parse)
    )
    try:
        with engine.begin() as conn:
            report.written = bulk_insert(conn, journal_entries, _COLUMNS, valid, skip_existing=True)
    except ImportFileError as error:
        report.file_error, report.written = str(error), 0
    return report
