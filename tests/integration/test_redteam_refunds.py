"""Red team: refunds and reversals across business dates, on SQLite and PostgreSQL.

A refund settled on one date and a reversal voiding the same purchase on another date
together give the cardholder back more than was ever taken (the void returns the whole
purchase, the refund part of it again). docs/refunds-and-reversals.md: what is left of a
purchase is nothing once it is voided, so the refunds of one purchase never exceed it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from settlement.adapters.eod_tables import payouts, reconciliation_items
from settlement.adapters.imports import import_journal, import_merchants
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

DAY1 = date(2026, 3, 11)
DAY2 = date(2026, 3, 12)
LATER = datetime(2026, 3, 13, 21, 0)
Setup = tuple[Engine, Settings]


@pytest.fixture
def setup(db_url: str, tmp_path: Path) -> Iterator[Setup]:
    with migrated_database(db_url, tmp_path) as (engine, settings):
        import_merchants(engine, [MERCHANTS_HEADER, merchant_line("A", "EUR", 0, "0")])
        yield engine, settings


def _row(tid: str, amount: str, day: date, minutes: int, **kw: Any) -> dict[str, Any]:
    at = datetime.combine(day, datetime.min.time()) + timedelta(hours=8, minutes=minutes)
    return staged(tid, amount, "EUR", merchant_id="A", terminal_id="TA", business_date=day,
                  at=at, **kw)  # fmt: skip


def _load(engine: Engine, settings: Settings, rows: list[dict[str, Any]]) -> None:
    insert_staged(engine, rows)
    report = import_journal(engine, [JOURNAL_HEADER, *map(journal_line, rows)], settings, LATER)
    assert report.rejected == 0


def _run(engine: Engine, settings: Settings, day: date, **kw: Any) -> None:
    report = run_end_of_day(engine, settings, RunRequest(day, LATER, **kw))
    assert report.status == "completed", report.message


def _outcomes(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        found = conn.execute(select(reconciliation_items))
        return {r.transaction_id: r.outcome for r in found}


def _classes(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        found = conn.execute(select(reconciliation_items))
        return {r.transaction_id: r.recon_class for r in found}


def _paid_minor(engine: Engine) -> int:
    with engine.connect() as conn:
        return sum(r.payout_minor for r in conn.execute(select(payouts)))


def test_a_refund_settled_on_an_earlier_date_then_a_void_of_its_purchase(setup: Setup) -> None:
    """Day 1: a refund of 30 naming purchase P, staged for day 2 (a terminal whose refund
    reached a date before the sale). Day 2: P (100) and a reversal equal to it. Either the
    void or the refund may go through, never both: the merchant is never paid less than
    nothing for P (here: net payout never below zero)."""
    engine, settings = setup
    _load(engine, settings, [
        _row("R", "30.00", DAY1, 0, kind="refund", original="P"),
        _row("P", "100.00", DAY2, 0),
        _row("V", "100.00", DAY2, 5, kind="reversal", original="P"),
    ])  # fmt: skip
    _run(engine, settings, DAY1)
    _run(engine, settings, DAY2)
    outcomes = _outcomes(engine)
    assert not (outcomes["R"] == "settled" and outcomes["P"] == "reversed"), outcomes
    assert _paid_minor(engine) >= 0
    assert _classes(engine)["V"] == "unpaired_reversal"
    _run(engine, settings, DAY1, rerun=True)  # the refund still fits: P was not voided
    _run(engine, settings, DAY2, rerun=True)
    assert _outcomes(engine) == outcomes


def test_a_rerun_of_the_purchase_date_never_voids_a_purchase_refunded_since(
    setup: Setup,
) -> None:
    """Day 1: P (100). Day 2: a refund of 30 of it settles. Then a reversal of P staged late
    for day 1, and day 1 is re-run: voiding P now would return 100 on top of the 30."""
    engine, settings = setup
    _load(engine, settings, [
        _row("P", "100.00", DAY1, 0),
        _row("R", "30.00", DAY2, 0, kind="refund", original="P"),
    ])  # fmt: skip
    _run(engine, settings, DAY1)
    _run(engine, settings, DAY2)
    _load(engine, settings, [_row("V", "100.00", DAY1, 5, kind="reversal", original="P")])
    _run(engine, settings, DAY1, rerun=True)
    outcomes = _outcomes(engine)
    assert not (outcomes["R"] == "settled" and outcomes["P"] == "reversed"), outcomes
    assert _paid_minor(engine) >= 0
    assert _classes(engine)["V"] == "unpaired_reversal"


def _settled_refunds_minor(engine: Engine) -> int:
    with engine.connect() as conn:
        found = conn.execute(select(reconciliation_items))
        return sum(
            r.staged_amount_minor
            for r in found
            if r.transaction_type == "refund" and r.outcome == "settled"
        )


def test_partial_refunds_over_three_dates_with_reruns_of_the_middle_one(setup: Setup) -> None:
    """Held: P 100 on day 1; a refund of 40 on day 2, of 50 on day 3; then a refund of 20
    staged late for day 2 (earlier than the 40) and day 2 re-run, then day 3 and day 1.
    At no point do the settled refunds exceed the purchase."""
    engine, settings = setup
    day3 = date(2026, 3, 13)
    _load(engine, settings, [
        _row("P", "100.00", DAY1, 0),
        _row("R2a", "40.00", DAY2, 10, kind="refund", original="P"),
        _row("R3", "50.00", day3, 0, kind="refund", original="P"),
    ])  # fmt: skip
    for day in (DAY1, DAY2, day3):
        _run(engine, settings, day)
        assert _settled_refunds_minor(engine) <= 10000
    _load(engine, settings, [_row("R2b", "20.00", DAY2, 5, kind="refund", original="P")])
    for day in (DAY2, day3, DAY1, DAY2):
        _run(engine, settings, day, rerun=True)
        assert _settled_refunds_minor(engine) <= 10000
    assert _classes(engine)["R2a"] == "refund_exceeds_original"  # 50 + 20 + 40 > 100
    assert _outcomes(engine)["R2b"] == _outcomes(engine)["R3"] == "settled"
