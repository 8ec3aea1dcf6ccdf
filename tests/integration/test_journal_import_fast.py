"""The journal import's fast path (plain lines checked in one pass, written by the bare
driver: executemany on SQLite, binary COPY on PostgreSQL) against the import as it was
(every line through the careful path, the generic bulk writer), on both backends: the same
rows, byte for byte, the same rejects with the same line numbers and reasons, the same
counts, on a generated day with hostile lines injected and on re-imports."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from pos_simulator.config import DayConfig
from pos_simulator.generate import generate_day
from pos_simulator.options import RateOptions, build_mix
from settlement.adapters import csv_chunks, database
from settlement.adapters.eod_tables import journal_entries
from settlement.adapters.imports import ImportReport, import_journal
from settlement.config import Settings, load_settings
from tests.support.hostile_files import (
    JOURNAL_COLUMNS,
    csv_line,
    good_journal,
    journal_lines,
)
from tests.support.journal_reference import reference_import_journal

DAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 28, 3, 0)  # naive UTC, a few hours after the day's cutoff


@pytest.fixture(autouse=True, params=["in one process", "chunks in a worker"])
def checking(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every comparison twice: lines checked here, and in chunks of 7 by a worker process
    (what a file past 10,000 lines gets), rejects and CSV breaks spread over many chunks."""
    if request.param == "chunks in a worker":
        monkeypatch.setattr(csv_chunks, "CHUNK_LINES", 7)


@pytest.fixture
def two(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Engine, Settings]]:
    """Two migrated databases on the backend: one for the import, one for the reference."""
    other = _second_url(db_url, tmp_path)
    engines = []
    for url in (db_url, other):
        database.upgrade(url)
        engines.append(database.create_db_engine(url))
    yield engines[0], engines[1], load_settings(database_url=db_url)
    for engine in engines:
        engine.dispose()


def _second_url(db_url: str, tmp_path: Path) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'reference.db'}"
    # PostgreSQL: the same scratch database, another schema first on the search path.
    engine = database.create_db_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA reference")
    engine.dispose()
    joiner = "&" if "?" in db_url else "?"
    return f"{db_url}{joiner}options=-csearch_path%3Dreference"


def _table(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        query = select(journal_entries).order_by(journal_entries.c.transaction_id)
        return [tuple(row) for row in conn.execute(query)]


def _raw_table(engine: Engine) -> list[tuple[object, ...]]:
    """The rows as the database keeps them (SQLite: the stored text, not parsed back)."""
    names = ", ".join(column.name for column in journal_entries.columns)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT {names} FROM journal_entries ORDER BY 1")
        return [tuple(row) for row in rows]


def _same(new: ImportReport, old: ImportReport) -> None:
    fields = ("read", "written", "rejected", "errors", "file_error", "already_there", "failed")
    assert {f: getattr(new, f) for f in fields} == {f: getattr(old, f) for f in fields}


def _both(two: tuple[Engine, Engine, Settings], text: str) -> ImportReport:
    fast, slow, settings = two
    new = import_journal(fast, io.StringIO(text, newline=""), settings, NOW)
    old = reference_import_journal(slow, io.StringIO(text, newline=""), settings, NOW)
    _same(new, old)
    assert _table(fast) == _table(slow)
    assert _raw_table(fast) == _raw_table(slow)
    return new


def _generated_journal(tmp_path: Path) -> list[str]:
    """A small simulated day's journal.csv (refunds, reversals, currencies, offsets)."""
    mix = build_mix(RateOptions(fault_rate=0.1, malformed_rate=0.1))
    config = DayConfig(seed=11, business_date=DAY, transactions=400, merchants=20, cards=100,
                       mix=mix)  # fmt: skip
    generate_day(config, tmp_path / "day")
    return (tmp_path / "day" / "journal.csv").read_text(encoding="utf-8").splitlines()


def _hostile(lines: list[str]) -> list[str]:
    """Bad lines of every kind among the good ones; a duplicate id with other content; a
    line with padded values; an amount in another script's digits; escapes and controls."""
    good = good_journal(NOW)
    out = [lines[0]]
    cases = [case.line(JOURNAL_COLUMNS, {**good, "transaction_id": f"H{n}"})
             for n, case in enumerate(journal_lines(NOW))]  # fmt: skip
    extra = [
        {**good, "transaction_id": "X1", "amount": "\u0661\u0662.50"},
        {**good, "transaction_id": "X2", "amount": "012.50"},
        {**good, "transaction_id": "X3", "amount": " 12.50 ", "merchant_id": " M1\t"},
        {**good, "transaction_id": "X4\tA"},
        {**good, "transaction_id": "X5\nB"},
        {**good, "transaction_id": "X6\\N"},
        {**good, "terminal_id": "T\x00"},
        {**good, "transaction_id": "X7", "currency": "eur"},
        {**good, "transaction_id": "X8", "amount": "9999999999999.99"},
        {**good, "transaction_id": "X9", "amount": "1.005"},
        {**good, "transaction_id": "X10", "local_time": "2026-02-30T10:00:00+01:00"},
        {**good, "transaction_id": "X11", "type": "refund"},
        {**good, "transaction_id": "X12", "original_transaction_id": "X12"},
        {**good, "transaction_id": "X13", "pan_last4": "\u0661234"},
        {**good, "transaction_id": "X14", "merchant_id": "M" * 5000},
        {**good, "transaction_id": "X15", "local_time": good["local_time"][:19] + "Z"},
        {**good, "transaction_id": "X16", "amount": "0.00"},
    ]
    cases += [csv_line(JOURNAL_COLUMNS, values) for values in extra]
    for number, line in enumerate(lines[1:]):
        out.append(line)
        if number % 7 == 0 and cases:
            out.append(cases.pop())
    out += cases
    first = lines[1].split(",")
    out.append(",".join([first[0], *first[1:4], "1.00", *first[5:]]))  # same id, new amount
    return out


def test_a_generated_day_with_hostile_lines_imports_as_before(
    two: tuple[Engine, Engine, Settings], tmp_path: Path
) -> None:
    text = "\n".join(_hostile(_generated_journal(tmp_path))) + "\n"
    report = _both(two, text)
    assert report.written > 300 and report.rejected > 20, report
    again = _both(two, text)  # a re-import: nothing new, the same rejects
    assert again.written == 0 and again.already_there == report.already_there + report.written


def test_a_changed_line_reimported_keeps_the_first_version(
    two: tuple[Engine, Engine, Settings],
) -> None:
    header = ",".join(JOURNAL_COLUMNS)
    good = good_journal(NOW)
    _both(two, "\n".join([header, csv_line(JOURNAL_COLUMNS, good)]) + "\n")
    changed = {**good, "amount": "99.99"}
    new = {**good, "transaction_id": "T2"}
    lines = [header, csv_line(JOURNAL_COLUMNS, changed), csv_line(JOURNAL_COLUMNS, new)]
    report = _both(two, "\n".join(lines) + "\n")
    assert (report.written, report.already_there) == (1, 1)
    assert [row[4] for row in _table(two[0])] == [1250, 1250]


def test_a_duplicate_id_in_one_file_keeps_the_first_line(
    two: tuple[Engine, Engine, Settings],
) -> None:
    header = ",".join(JOURNAL_COLUMNS)
    good = good_journal(NOW)
    other = {**good, "amount": "7.00", "pan_last4": "9999"}
    lines = [header, csv_line(JOURNAL_COLUMNS, good), csv_line(JOURNAL_COLUMNS, other)]
    report = _both(two, "\n".join(lines) + "\n")
    assert (report.read, report.written, report.rejected) == (2, 1, 0)
    assert [(row[4], row[10]) for row in _table(two[0])] == [(1250, good["pan_last4"])]


def test_another_column_order_and_an_extra_column_read_as_before(
    two: tuple[Engine, Engine, Settings],
) -> None:
    good = good_journal(NOW)
    columns = (*reversed(JOURNAL_COLUMNS), "note")
    pan = "4111111111111111"
    lines = [",".join(columns), csv_line(columns, {**good, "note": "fine"}),
             csv_line(columns, {**good, "transaction_id": "T2", "note": pan})]  # fmt: skip
    report = _both(two, "\n".join(lines) + "\n")
    assert report.written == 1 and report.errors[0].startswith("line 3: pan_in_wrong_field")
    assert pan not in "\n".join(report.errors)


def test_a_day_beyond_one_chunk_with_a_repeat_in_the_second(
    two: tuple[Engine, Engine, Settings],
) -> None:
    """Past CHUNK_ROWS: the first chunk COPied straight in, the second refused for a repeat
    of a first-chunk id and written the careful way."""
    header = ",".join(JOURNAL_COLUMNS)
    good = good_journal(NOW)
    local = datetime.fromisoformat(good["local_time"])
    lines = [header]
    for n in range(10_050):
        at = (local - timedelta(seconds=n)).isoformat()
        lines.append(
            csv_line(JOURNAL_COLUMNS, {**good, "transaction_id": f"T{n}", "local_time": at})
        )
    lines.append(csv_line(JOURNAL_COLUMNS, {**good, "transaction_id": "T5", "amount": "3.00"}))
    report = _both(two, "\n".join(lines) + "\n")
    assert (report.read, report.written) == (10_051, 10_050)


def test_a_csv_break_after_rejected_lines_counts_them_and_writes_nothing(
    two: tuple[Engine, Engine, Settings], tmp_path: Path
) -> None:
    """An unterminated quote late in the file: the import stops with the file error, having
    counted the rejects of every line before it (in whichever chunk they were checked)."""
    lines = _hostile(_generated_journal(tmp_path))
    lines.insert(len(lines) - 3, '"unterminated,' + lines[1])
    report = _both(two, "\n".join(lines) + "\n")
    assert report.file_error is not None and "unreadable CSV" in report.file_error
    assert report.rejected > 10 and report.written == 0
