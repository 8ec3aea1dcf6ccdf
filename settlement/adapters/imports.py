"""Inputs of the end of day: merchants, the terminals' journal, operator FX rates (CSV).

Checking a line is the domain's (`merchant_lines`, `journal_lines`, `rate_lines`); this
module reads the CSV (header first: a wrong delimiter or header is one line naming the
expected one), reports each bad line by number and reason, and writes in bulk. Each import
is one transaction, and re-importing the same file changes nothing (journal rows are keyed
by transaction_id; a merchant or rate row is replaced by its newer version).

Merchants and rates are all-or-nothing: master data applied in part (half the fees
updated, one day's rates without the next) is worse than none, so one rejected line and
nothing is written. The journal writes its good lines: it is evidence, not configuration,
a rejected line's transaction shows up as an exception in the reconciliation anyway, and a
corrected file re-imported adds just the corrected lines.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache, partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, delete, tuple_

from settlement.adapters.bulk import CHUNK_ROWS, bulk_insert
from settlement.adapters.csv_chunks import (
    ImportFileError,
    PlainLines,
    csv_chunks,
    csv_records,
    records_of,
)
from settlement.adapters.eod_tables import fx_rates
from settlement.adapters.gc_pause import collector_paused
from settlement.adapters.journal_writes import RowForm, journal_row_form, write_journal
from settlement.adapters.line_checks import CheckedChunk, Sent, checked_lines
from settlement.adapters.rates import ecb_history, imported_histories
from settlement.adapters.tables import merchants
from settlement.batching import batched
from settlement.config import Settings
from settlement.counting import ProgressCallback, counted
from settlement.domain.ecb_files import (
    READABLE,
    NotARateFile,
    RateFileFormat,
    Tally,
    opened,
    published_cells,
    text_lines,
)
from settlement.domain.file_lines import LineReason, LineRejected, reject_pans
from settlement.domain.journal_lines import (
    JOURNAL_COLUMNS,
    JournalLineReader,
)
from settlement.domain.merchant_lines import MERCHANT_COLUMNS, MerchantRecord, parse_merchant_line
from settlement.domain.plausibility import TimeWindow
from settlement.domain.rate_lines import (
    RATE_COLUMNS,
    RateLine,
    RateRules,
    band_problems,
    is_archived,
    parse_rate_line,
)

MAX_ERRORS_SHOWN = 10
_Line = TypeVar("_Line")


@dataclass
class ImportReport:
    read: int = 0
    written: int = 0
    errors: list[str] = field(default_factory=list)
    rejected: int = 0
    all_or_nothing: bool = False  # merchants, rates: one rejected line and nothing is written
    file_error: str | None = None  # the file as a whole could not be read
    file_format: str | None = None  # rates: which format the content was recognised as
    gaps: int = 0  # rates: N/A or empty cells of an ECB file, "no rate that day"
    archived: int = 0  # rates: an ECB file's rates dated before the window, skipped
    notes: list[str] = field(default_factory=list)  # what was passed over, one line each
    _error_lines: list[int] = field(default_factory=list, repr=False)  # `errors`' line numbers

    @property
    def already_there(self) -> int:
        """Valid rows not written because an earlier import wrote them (a re-import)."""
        if self.file_error or (self.all_or_nothing and self.rejected):
            return 0
        return self.read - self.skipped - self.rejected - self.written

    @property
    def skipped(self) -> int:
        """Cells read that are not rates to import and not errors (N/A, archived)."""
        return self.gaps + self.archived

    @property
    def failed(self) -> bool:
        """True when the command must exit non-zero: a rejected line, an unreadable file,
        or a file with no line to import."""
        return bool(self.file_error or self.rejected or not self.read)

    def reject(self, line_no: int, problem: LineRejected, where: str = "") -> None:
        """Count a rejected line; the errors shown are the lowest-numbered, in line order,
        whatever order the rejects come in (a worker process checks lines in chunks)."""
        self.rejected += 1
        at = bisect_right(self._error_lines, line_no)
        if at < MAX_ERRORS_SHOWN:
            self._error_lines.insert(at, line_no)
            self.errors.insert(at, f"line {line_no}{' ' + where if where else ''}: {problem}")
            del self._error_lines[MAX_ERRORS_SHOWN:], self.errors[MAX_ERRORS_SHOWN:]


def _row(header: list[str], values: list[str]) -> dict[str, str]:
    """A record's values by column, stripped: what the line rules read."""
    return {name: value.strip() for name, value in zip(header, values, strict=True)}


def _each_valid(
    lines: Iterable[str],
    columns: Sequence[str],
    report: ImportReport,
    parse: Callable[[dict[str, str]], _Line],
) -> Iterator[tuple[int, _Line]]:
    for number, header, values in csv_records(lines, columns, report):
        try:
            yield number, parse(_row(header, values))
        except LineRejected as problem:
            report.reject(number, problem)


def import_merchants(
    engine: Engine, lines: Iterable[str], progress: ProgressCallback | None = None
) -> ImportReport:
    """All-or-nothing: the merchants of the file, or none of them if a line is rejected.
    The lines are written as they are checked, in one transaction that a reject rolls
    back, so a file of any size is held 10,000 lines at a time (a 50,000-line file held
    whole took 50 MiB more than a 5,000-line one, measured). `progress` is told the lines
    read, per chunk."""
    report = ImportReport(all_or_nothing=True)
    lines = counted(lines, progress)
    try:
        with engine.begin() as conn:
            report.written = _write_merchants(conn, _first_of_each(lines, report), report)
            if report.failed:
                raise _RolledBack
    except ImportFileError as error:  # raised mid-stream: the transaction rolled back
        report.file_error, report.written = str(error), 0
    except _RolledBack:
        report.written = 0
    return report


class _RolledBack(Exception):
    """Leaves an all-or-nothing import's transaction after a rejected line."""


def _first_of_each(lines: Iterable[str], report: ImportReport) -> Iterator[MerchantRecord]:
    """Each good line's merchant; a merchant_id already on an earlier line is rejected."""
    first_line: dict[str, int] = {}
    for number, record in _each_valid(lines, MERCHANT_COLUMNS, report, parse_merchant_line):
        first = first_line.setdefault(record.merchant_id, number)
        if first == number:
            yield record
        else:
            detail = f"merchant_id {record.merchant_id!r} is already on line {first}"
            report.reject(number, LineRejected(LineReason.DUPLICATE, detail))


def _write_merchants(
    conn: Connection, records: Iterable[MerchantRecord], report: ImportReport
) -> int:
    """Replace each merchant by its line, a chunk at a time; after a reject the rest of
    the file is still read (every bad line is reported) but nothing more is written."""
    written = 0
    for chunk in batched(records, CHUNK_ROWS):
        if report.rejected:
            continue
        ids = [record.merchant_id for record in chunk]
        for start in range(0, len(ids), 500):
            conn.execute(
                delete(merchants).where(merchants.c.merchant_id.in_(ids[start : start + 500]))
            )
        rows = map(_merchant_values, chunk)
        written += bulk_insert(conn, merchants, _MERCHANT_TABLE_COLUMNS, rows)
    return written


_MERCHANT_TABLE_COLUMNS = [column.name for column in merchants.columns]


def _merchant_values(m: MerchantRecord) -> tuple[Any, ...]:
    return (
        m.merchant_id, m.name, m.mcc, m.country, m.city, m.timezone, m.settlement_currency,
        m.mdr_bps, m.fee_fixed_minor, m.iban, m.bic,
    )  # fmt: skip


def import_journal(
    engine: Engine,
    lines: Iterable[str],
    settings: Settings,
    now: datetime,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Stream the journal into `journal_entries`: good lines are written, rows already
    imported are left as they are; an unreadable file writes nothing. `progress` is told
    the lines read, per chunk (a line is written at most 40,000 lines after it is read: a
    worker process checks the lines while this one writes, `line_checks`)."""
    report = ImportReport()
    lines = counted(lines, progress)
    reading = JournalReading(settings.zone, settings.cutoff_time, now, settings.time_window)
    check = partial(check_journal_chunk, reading, journal_row_form(engine.dialect.name, now))
    rows = checked_lines(csv_chunks(lines, JOURNAL_COLUMNS, report), check, report.reject)
    try:
        with collector_paused(), engine.begin() as conn:
            report.written = write_journal(conn, rows)
    except ImportFileError as error:  # raised mid-stream: the transaction rolled back
        report.file_error, report.written = str(error), 0
    return report


@dataclass(frozen=True, slots=True)
class JournalReading:
    """What reads a journal's lines, in a form that crosses to a worker process."""

    zone: ZoneInfo
    cutoff: time
    received_at: datetime
    window: TimeWindow

    def reader(self) -> JournalLineReader:
        return _reader(self)


@cache
def _reader(reading: JournalReading) -> JournalLineReader:
    """Built once per process, not per chunk (it places the plausibility window)."""
    return JournalLineReader(reading.zone, reading.cutoff, reading.received_at, reading.window)


def check_journal_chunk(
    reading: JournalReading, row_form: RowForm, chunk: Sent
) -> CheckedChunk[tuple[Any, ...]]:
    """The rows of a chunk's good lines, as `row_form` writes them, and its rejects. Plain
    lines under the usual header (the columns in their usual order and nothing else) are
    read from their text; any other layout record by record as a dict (an extra column is
    scanned for card numbers like the rest)."""
    read, checked = reading.reader(), CheckedChunk[tuple[Any, ...]]()
    if isinstance(chunk, PlainLines) and tuple(chunk.header) == JOURNAL_COLUMNS:
        for number, text in chunk.lines():
            try:
                line = read.plain(text)
                if line is None:
                    line = read.careful(chunk.values(text))
                checked.lines.append(row_form(line))
            except LineRejected as problem:
                checked.reject(number, problem)
        return checked
    # The records share one header list: looked at once, not per line (~0.2 us a line).
    seen_header: list[str] | None = None
    usual = False
    for number, header, values in records_of(chunk, checked.reject):
        if header is not seen_header:
            seen_header, usual = header, tuple(header) == JOURNAL_COLUMNS
        try:
            if usual:
                checked.lines.append(row_form(read(values)))
            else:
                row = _row(header, values)
                reject_pans(row)
                checked.lines.append(row_form(read([row[name] for name in JOURNAL_COLUMNS])))
        except LineRejected as problem:
            checked.reject(number, problem)
    return checked


def import_rates(
    engine: Engine,
    source: Iterable[bytes] | Iterable[str],
    now: datetime,
    rules: RateRules | None = None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """All-or-nothing rates (units per EUR) from any rate file `ecb_files` recognises:
    `source` is the file's bytes in chunks (or text lines). Each rate is stored with its
    source (`ecb` from an ECB file, `imported` from the own CSV). A later import of a key
    replaces it; a key imported before with the same rate and source is left as it is (a
    re-import changes nothing). `rules` None: the band of the default jump and no date window.
    `progress` is told the bytes read, per chunk (reading is ~60% of the ECB history's time)."""
    rules = rules or RateRules()
    report = ImportReport(all_or_nothing=True)
    try:
        form, chunks = opened(_as_chunks(source, progress))
        report.file_format = str(form)
        parsed = _parsed_rates(form, chunks, now, rules, report)
    except (ImportFileError, NotARateFile) as error:
        report.file_error = str(error)
        return report
    if not parsed and not report.rejected:
        report.file_error = _nothing_read(report)
        return report
    with engine.begin() as conn:
        lines = list(parsed.values())
        source = form.rate_source
        stored = _check_band(conn, lines, rules.max_jump_pct, source, report)
        if not report.failed:
            changed = {key: line for key, (_, line) in parsed.items()
                       if stored.get(key) != (str(line.units_per_eur), source)}  # fmt: skip
            keys = [key for key in changed if key in stored]
            _replace_rates(conn, changed, keys, source, now)
            report.written = len(changed)
    return report


def _as_chunks(
    source: Iterable[bytes] | Iterable[str], progress: ProgressCallback | None = None
) -> Iterator[bytes]:
    """Text lines (a test's list, with or without their line ends) as bytes; bytes as is."""
    for piece in source:
        chunk = piece.encode("utf-8") if isinstance(piece, str) else piece
        if isinstance(piece, str) and not piece.endswith("\n"):
            chunk += b"\n"
        if progress is not None:
            progress(len(chunk))
        yield chunk


_Parsed = dict[tuple[date, str], tuple[int, RateLine]]


def _parsed_rates(
    form: RateFileFormat, chunks: Iterator[bytes], now: datetime, rules: RateRules,
    report: ImportReport,
) -> _Parsed:  # fmt: skip
    """The file's valid lines by (date, currency); rejections go to `report`."""
    parsed: _Parsed = {}

    def parse(row: dict[str, str]) -> RateLine:
        return parse_rate_line(row, now, rules)

    if form is RateFileFormat.RATES_CSV:
        numbered = _each_valid(text_lines(chunks), RATE_COLUMNS, report, parse)
    else:
        numbered = _published_lines(form, chunks, now, rules, report)
    for number, line in numbered:
        key = (line.rate_date, line.currency)
        first = parsed.setdefault(key, (number, line))
        if first[1] is not line:
            detail = f"{line.currency} on {line.rate_date} is already on line {first[0]}"
            report.reject(number, LineRejected(LineReason.DUPLICATE, detail))
    return parsed


def _published_lines(
    form: RateFileFormat, chunks: Iterator[bytes], now: datetime, rules: RateRules,
    report: ImportReport,
) -> Iterator[tuple[int, RateLine]]:  # fmt: skip
    """The ECB file's rates as checked lines; N/A cells and rates older than the window are
    counted as skipped, retired currencies' columns named in the report's notes."""
    tally = Tally()
    for cell in published_cells(form, chunks, tally):
        report.read += 1
        row = cell.row()
        if is_archived(row, now, rules):
            report.archived += 1
            continue
        try:
            yield cell.line, parse_rate_line(row, now, rules)
        except LineRejected as problem:
            report.reject(cell.line, problem, cell.currency)
    report.read += tally.gaps
    report.gaps = tally.gaps
    if tally.retired:
        report.notes.append(
            "columns skipped, not current ISO 4217 currencies: " + ", ".join(sorted(tally.retired))
        )


def _nothing_read(report: ImportReport) -> str:
    """The one line of a recognised file without one rate to write."""
    found = f"{report.file_format}: " if report.file_format else ""
    why = []
    if report.gaps:
        why.append(f"{report.gaps:,} N/A or empty")
    if report.archived:
        why.append(f"{report.archived:,} older than CARDSETTLE_TIME_MAX_AGE_DAYS")
    seen = f" ({', '.join(why)})" if why else ""
    return f"{found}no rate to import{seen}; this command reads {READABLE}"


def _check_band(
    conn: Connection, lines: list[tuple[int, RateLine]], max_jump_pct: int, source: str,
    report: ImportReport,
) -> dict[tuple[date, str], tuple[str, str]]:  # fmt: skip
    """Reject the lines outside their jump band; the stored rates of the lines' keys (as
    text, with their source), to leave unchanged ones as they are."""
    if not lines:
        return {}
    currencies = {line.currency for _, line in lines}
    until = max(line.rate_date for _, line in lines)
    imported = imported_histories(conn, currencies, until)
    published = {currency: ecb_history(currency) for currency in currencies}
    for number, problem in band_problems(lines, imported, published, max_jump_pct, source):
        report.reject(number, problem)
    report.errors.sort(key=lambda error: int(error.split(":", 1)[0].split()[1]))
    return {(day, currency): (str(rate), origin) for currency, history in imported.items()
            for day, rate, origin in history}  # fmt: skip


def _replace_rates(
    conn: Connection,
    parsed: dict[tuple[date, str], RateLine],
    keys: list[tuple[date, str]],
    source: str,
    now: datetime,
) -> None:
    """Write `parsed` as rates of `source`, deleting first the stored rows of `keys` it
    replaces."""
    key_columns = tuple_(fx_rates.c.rate_date, fx_rates.c.currency)
    for start in range(0, len(keys), 500):
        conn.execute(delete(fx_rates).where(key_columns.in_(keys[start : start + 500])))
    rows = [(day, currency, str(line.units_per_eur), now, source)
            for (day, currency), line in parsed.items()]  # fmt: skip
    columns = ["rate_date", "currency", "units_per_eur", "imported_at", "source"]
    bulk_insert(conn, fx_rates, columns, rows)
