"""The small hand-computed day (docs/end-of-day.md, "The settlement contract"): its staged
rows, journal, master data and rates, with every payout, fee and FX amount worked out by hand in
tests/integration/test_eod_day.py. Other end-of-day tests reuse it as a known-good day."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from settlement.adapters.imports import import_journal, import_merchants, import_rates
from settlement.config import Settings
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
    """Staged rows and journal lines of the hand-computed day (docs/end-of-day.md)."""
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
