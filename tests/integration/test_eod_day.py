"""A small hand-computed day, end to end through the run, on SQLite and PostgreSQL:
every payout, fee, FX amount and exception asserted to the minor unit."""

from __future__ import annotations

from collections.abc import Iterator
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
from settlement.config import Settings
from settlement.eod.run import RunRequest, run_end_of_day
from tests.support.hand_day import DAY, NOW, eod_database, load_hand_day


@pytest.fixture
def setup(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Settings]]:
    with eod_database(db_url, tmp_path) as ready:
        yield ready


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
