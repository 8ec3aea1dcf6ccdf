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
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from settlement.adapters.eod_tables import (
    fraud_decisions,
    fraud_flags,
    ledger_entries,
    payouts,
    reconciliation_items,
    settlement_lines,
)
from settlement.adapters.report_reads import detail_rows, report_reads
from settlement.adapters.tables import merchants
from settlement.config import Settings
from settlement.reports import csv_rows
from settlement.reports.csv_files import CSV_NAMES, write_csv_files
from settlement.reports.gather import cutoff_of
from tests.support.reference_report_csv import write_reference_csv_files
from tests.support.reports import settled_generated_day

DAY = date(2026, 10, 14)
# Each list is cycled over the rows it changes, so every value lands somewhere.
HOSTILE = [
    '=HYPERLINK("http://evil.example","Click")', "\uff1dfull", 'say "hi", then\nleave', "+1+1",
    "-2+3", "@SUM(A1)", "\t=1", "\r=1", "  =1+1", "\u00a0@x", "\ufe62small", "a,b", "\n",
    "-12.50", "'=already", "plain",
]  # fmt: skip
AMOUNTS = [0, -1, 99, -(2**62), 2**62 + 7, 123_456_789_012_345, -5]  # 7: prime to 6
CURRENCIES = ["JPY", "KWD", "CLF", "EUR", "USD", "BHD"]


@pytest.fixture
def hostile_day(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Settings]]:
    with settled_generated_day(db_url, tmp_path, DAY, profile="faulty") as (engine, settings):
        _make_hostile(engine)
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


def _make_hostile(engine: Engine) -> None:
    """Hostile text, amounts, currencies and dates over the day's stored results: each
    column on its own rows (a column the writer forgot to check would show alone)."""
    ri, sl, ff, fd, po, le = (
        reconciliation_items, settlement_lines, fraud_flags, fraud_decisions, payouts,
        ledger_entries,
    )  # fmt: skip
    texts = {
        ri: ("terminal_id", "journal_transaction_id", "original_transaction_id",
             "reason_detail", "reason", "match_method", "merchant_id",
             "outcome", "transaction_type"),
        sl: ("rate", "rate_source", "merchant_id", "transaction_type"),
        ff: ("reason", "rule"), fd: ("action",), merchants: ("name",),
        po: ("direction",), le: ("memo", "account"),
    }  # fmt: skip
    keys = {ri: ri.c.transaction_id, sl: sl.c.transaction_id, ff: ff.c.transaction_id,
            fd: fd.c.transaction_id, merchants: merchants.c.merchant_id,
            po: po.c.merchant_id, le: le.c.entry_no}  # fmt: skip
    with engine.begin() as conn:
        for table, columns in texts.items():
            for offset, name in enumerate(columns):
                # In chunks of 7 rows, a chunk holds one column's text at most.
                _cycle(conn, keys[table], 7 * offset + 3, 7 * len(columns),
                       partial(_text_of, name, offset, _width(table.c[name])))  # fmt: skip
        _cycle(conn, ri.c.transaction_id, 0, 3, lambda n: {
            "currency": CURRENCIES[n % len(CURRENCIES)],
            "staged_amount_minor": AMOUNTS[n % len(AMOUNTS)],
            "journal_amount_minor": AMOUNTS[(n + 3) % len(AMOUNTS)],
            "business_date": DAY - timedelta(days=n % 4),
        })  # fmt: skip
        _cycle(conn, sl.c.transaction_id, 1, 2, lambda n: {
            "rate_date": DAY - timedelta(days=n % 6),
            "original_currency": CURRENCIES[n % len(CURRENCIES)],
            "settlement_currency": CURRENCIES[(n + 1) % len(CURRENCIES)],
            "original_amount_minor": AMOUNTS[n % len(AMOUNTS)],
            "fee_minor": AMOUNTS[(n + 2) % len(AMOUNTS)],
            "fx_markup_minor": AMOUNTS[(n + 4) % len(AMOUNTS)],
        })  # fmt: skip
        _cycle(conn, po.c.merchant_id, 0, 2, lambda n: {"payout_minor": AMOUNTS[n % 7]})
        _cycle(conn, le.c.entry_no, 0, 1, lambda n: {"debit_minor": AMOUNTS[n % 7]})


def _cycle(conn: Any, key: Any, start: int, every: int, values: Any) -> None:
    """Every `every`-th row of the key's table from the `start`-th (by `key`, the rows
    there are) gets `values(n)`, n counting them."""
    keys = [row[0] for row in conn.execute(select(key).distinct().order_by(key))]
    assert keys, key
    for n, value in enumerate(keys[start % len(keys) :: every]):
        conn.execute(update(key.table).where(key == value).values(**values(n)))


def _text_of(name: str, shift: int, width: int | None, n: int) -> dict[str, str]:
    """The `n`-th hostile text for column `name` (shifted, so columns differ), cut to fit."""
    return {name: HOSTILE[(n + shift) % len(HOSTILE)][:width]}


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


def _width(column: Any) -> int | None:
    return getattr(column.type, "length", None)  # String(n): n; Text: None
