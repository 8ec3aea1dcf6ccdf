"""The report's CSV writer against the one it replaced (tests/support/reference_report_csv.py),
byte for byte, on SQLite and PostgreSQL: a generated day with fraud, foreign cards (FX),
refunds and reversals, every kind of exception, and then stored text a spreadsheet or a CSV
reader would trip on in every text column the files show (formula starts in ASCII,
fullwidth and after whitespace; quotes, commas and line breaks), amounts of every ISO 4217
exponent far past 2**53 either way, and rates of several ages. Written in chunks of 10,000
rows (one chunk here) and of 7 (a formula start in some chunks, not others).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from settlement.adapters.report_reads import detail_rows, report_reads
from settlement.config import Settings
from settlement.reports import csv_rows
from settlement.reports.csv_files import CSV_NAMES, write_csv_files
from settlement.reports.gather import cutoff_of
from tests.support.hostile_report import make_hostile
from tests.support.reference_report_csv import write_reference_csv_files
from tests.support.reports import settled_generated_day

DAY = date(2026, 10, 14)


@pytest.fixture
def hostile_day(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Settings]]:
    with settled_generated_day(db_url, tmp_path, DAY, profile="faulty") as (engine, settings):
        make_hostile(engine, DAY)
        yield engine, settings


@pytest.mark.parametrize("chunk_rows", [10_000, 7])
def test_the_csv_files_are_the_replaced_writers_byte_for_byte(
    hostile_day: tuple[Engine, Settings],
    tmp_path: Path,
    chunk_rows: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, settings = hostile_day
    monkeypatch.setattr(detail_rows, "CHUNK_ROWS", chunk_rows)
    monkeypatch.setattr(csv_rows, "CHUNK_ROWS", chunk_rows)
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    with engine.connect() as conn:
        write_reference_csv_files(conn, DAY, old, cutoff_of(settings))
    told: list[int] = []
    with report_reads(engine) as reads:
        write_csv_files(reads, DAY, new, cutoff_of(settings), told.append)
    for name in CSV_NAMES:
        assert (new / name).read_bytes() == (old / name).read_bytes(), name
    lines = sum((old / name).read_bytes().count(b"\n") for name in CSV_NAMES)
    assert len(told) >= len(CSV_NAMES) and sum(told) < lines  # chunks told; headers not
    written = {name: (new / name).read_text(encoding="utf-8") for name in CSV_NAMES}
    for name in ("reconciliation.csv", "settlement.csv", "fraud.csv", "payouts.csv"):
        assert "'=HYPERLINK(" in written[name] and "'\uff1dfull" in written[name], name
    assert '"say ""hi"", then\nleave"' in written["reconciliation.csv"]
    assert "-46116860184273879.04" in written["reconciliation.csv"]


def test_the_chunks_hold_the_records_columns(hostile_day: tuple[Engine, Settings]) -> None:
    """Each file's chunks are its record stream's rows, value for value (dates as ISO
    text), in the same order, on both backends."""
    engine, _ = hostile_day
    pairs = [("reconciliation_items", "reconciliation_chunks"),
             ("flagged_transactions", "flagged_chunks"), ("settlement_lines", "settlement_chunks"),
             ("payouts", "payout_chunks"), ("ledger_entries", "ledger_chunks")]  # fmt: skip
    with report_reads(engine) as reads:
        for records, chunks in pairs:
            expected = [tuple(map(_as_text, row)) for row in getattr(reads.detail, records)(DAY)]
            found = [row for chunk in getattr(reads.detail, chunks)(DAY) for row in chunk]
            assert [tuple(row) for row in found] == expected and expected, records


def _as_text(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value
