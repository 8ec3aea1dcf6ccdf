"""A small hand-computed day, end to end through the run, on SQLite and PostgreSQL:
every payout, fee, FX amount and exception asserted to the minor unit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from settlement.adapters.eod_tables import (
    eod_runs,
    fx_conversions,
    ledger_entries,
    payouts,
    reconciliation_items,
    settlement_lines,
)
from settlement.adapters.imports import import_journal, import_merchants, import_rates
from settlement.config import Settings
from settlement.eod.run import RunRequest, run_end_of_day
from tests.support.staging_builder import (
    JOURNAL_HEADER,
    MERCHANTS_HEADER,
    insert_staged,
    journal_line,
    merchant_line,
    migrated_database,
    staged,
)

DAY = date(2026, 3, 11)  # a Wednesday; cutoff 22:00 CET = 21:00 UTC
NOW = datetime(2026, 3, 11, 21, 0)
T = datetime(2026, 3, 11, 9, 0)


def at(minutes: int) -> datetime:
    return T + timedelta(minutes=minutes)


def hand_day() -> tuple[list[dict[str, Any]], list[str]]:
    """Staged rows and journal lines of the hand-computed day (see the README example)."""
    d = {"business_date": DAY}
    rows = [
        staged("P1", "100.00", **d, at=at(0)),
        staged("P2", "3.00", **d, at=at(10)),
        staged("P3", "50.00", "USD", **d, at=at(20)),
        staged("R1", "20.00", **d, at=at(30), kind="refund", original="P1"),
        staged("P4", "80.00", merchant_id="M2", **d, at=at(40)),
        staged("P0", "200.00", "USD", merchant_id="M2", business_date=DAY - timedelta(days=1),
               at=at(-1440)),
        staged("R2", "200.00", "USD", merchant_id="M2", **d, at=at(50), kind="refund",
               original="P0"),
        staged("P6", "10.00", "GBP", merchant_id="M3", **d, at=at(60)),
        staged("K1", "5.000", "KWD", **d, at=at(70)),
        staged("X1", "12.00", **d, at=at(80)),
        staged("B1", "40.00", **d, at=at(90)),
        staged("V1", "40.00", **d, at=at(95), kind="reversal", original="B1",
               terminal_id="T-B1"),  # a void equals its purchase, terminal included
        staged("L1", "7.00", **d, at=at(100), sent_at=NOW + timedelta(hours=1)),
        staged("U1", "9.00", **d, at=at(110)),
        staged("T1-S", "15.00", **d, at=at(120), last4="7777"),
        staged("O1", "5.00", **d, at=at(130), kind="refund", original="ghost"),
    ]  # fmt: skip
    by_id = {row["transaction_id"]: row for row in rows}
    journal = [
        journal_line(by_id[tid])
        for tid in ("P1", "P2", "P3", "R1", "P4", "R2", "P6", "K1", "B1", "V1", "L1", "O1")
    ]
    journal.append(journal_line(by_id["X1"], amount="12.50"))
    tolerant = dict(by_id["T1-S"], local_time=by_id["T1-S"]["local_time"] + timedelta(seconds=30))
    journal.append(journal_line(tolerant, tid="T1-J"))
    lost = staged("J-LOST", "11.00", **d, at=at(140))
    journal.append(journal_line(lost))
    return rows, journal


def eod_database(db_url: str, tmp_path: Path) -> AbstractContextManager[tuple[Engine, Settings]]:
    """A migrated database and the settings of the hand-computed day (50 bps FX markup)."""
    return migrated_database(db_url, tmp_path, fx_markup_bps=50)


@pytest.fixture
def setup(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Settings]]:
    with eod_database(db_url, tmp_path) as ready:
        yield ready


def load_hand_day(engine: Engine, settings: Settings) -> None:
    merchants = [
        MERCHANTS_HEADER,
        merchant_line("M1", "EUR", 150, "0.10"),
        merchant_line("M2", "USD", 200, "0.25"),
        merchant_line("M3", "JPY", 100, "0"),
    ]
    assert import_merchants(engine, merchants).written == 3
    rates = ["date,currency,units_per_eur", "2026-03-11,USD,1.0850", "2026-03-11,JPY,161.50",
             "2026-03-11,GBP,0.8500"]  # fmt: skip
    assert import_rates(engine, rates, NOW).written == 3
    rows, journal = hand_day()
    insert_staged(engine, rows)
    report = import_journal(engine, [JOURNAL_HEADER, *journal], settings, NOW)
    assert (report.written, report.rejected) == (len(journal), 0)


def _table(engine: Engine, query: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(query))


def test_hand_computed_day(setup: tuple[Engine, Settings]) -> None:
    engine, settings = setup
    load_hand_day(engine, settings)
    report = run_end_of_day(engine, settings, RunRequest(DAY, NOW))
    assert report.status == "completed", report.message

    items = {
        r.transaction_id: (r.recon_class, r.outcome, r.reason)
        for r in _table(engine, select(reconciliation_items))
    }
    assert items == {
        "P1": ("matched", "settled", None),
        "P2": ("matched", "settled", None),
        "P3": ("matched", "settled", None),
        "R1": ("matched", "settled", None),
        "P4": ("matched", "settled", None),
        "R2": ("matched", "settled", None),
        "P6": ("matched", "settled", None),
        "K1": ("matched", "held", "no_rate"),
        "X1": ("amount_mismatch", "exception", "amount_mismatch"),
        "B1": ("reversed", "reversed", None),
        "V1": ("reversed", "reversed", None),
        "L1": ("late", "exception", "late"),
        "U1": ("unexpected_in_staging", "exception", "unexpected_in_staging"),
        "T1-S": ("matched", "settled", None),
        "O1": ("orphan_refund", "exception", "orphan_refund"),
        "J-LOST": ("missing_in_staging", "not_staged", "missing_in_staging"),
    }
    lines = {
        r.transaction_id: (r.converted_amount_minor, r.fee_minor, r.fx_markup_minor)
        for r in _table(engine, select(settlement_lines))
    }
    assert lines == {
        "P1": (10000, 160, 0), "P2": (300, 14, 0), "P3": (4608, 79, 23), "R1": (2000, 0, 0),
        "P4": (8680, 199, 43), "R2": (20000, 0, 0), "P6": (1900, 19, 10), "T1-S": (1500, 32, 0),
    }  # fmt: skip
    paid = {
        (r.merchant_id, r.currency): (r.payout_minor, r.direction)
        for r in _table(engine, select(payouts))
    }
    assert paid == {
        ("M1", "EUR"): (14100, "credit"),
        ("M2", "USD"): (-11562, "debit"),
        ("M3", "JPY"): (1871, "credit"),
    }
    rates = {
        (r.from_currency, r.to_currency): (r.rate, r.rate_date, r.source)
        for r in _table(engine, select(fx_conversions))
    }
    assert rates[("USD", "EUR")] == ("0.9216589862", DAY, "imported")
    assert rates[("GBP", "JPY")] == ("190", DAY, "imported")
    assert rates[("EUR", "EUR")][2] == "identity"
    entries = _table(engine, select(ledger_entries))
    for currency in {e.currency for e in entries}:
        debit = sum(e.debit_minor for e in entries if e.currency == currency)
        credit = sum(e.credit_minor for e in entries if e.currency == currency)
        assert debit == credit, currency
    conservation = report.totals["conservation"]
    assert conservation["EUR"] == {
        "staged_minor": 33100, "settled_minor": 21800, "held_minor": 0,
        "exceptions_minor": 3300, "reversed_minor": 8000,
    }  # fmt: skip
    assert conservation["KWD"]["held_minor"] == 5000
    assert report.payout_file is not None
    assert "M2,USD,86.80,200.00,1.99,0.43,-115.62,debit,2" in report.payout_file.read_text()
    [run] = _table(engine, select(eod_runs))
    assert run.status == "completed" and run.finished_at == NOW
