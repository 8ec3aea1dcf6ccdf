"""Hostile refunds and reversals, end to end through the run on SQLite and PostgreSQL: each is
held to the purchase it names (docs/refunds-and-reversals.md), becomes an exception with its
own reason, never a payment nor a void of someone else's sale; across business dates, on a
rerun, and for journal-only refunds. A run whose results break these rules anyway (a
tampered row) fails its invariants and commits nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select, text

from settlement.adapters.eod_tables import (
    RESULT_TABLES,
    eod_runs,
    payouts,
    reconciliation_items,
    settlement_lines,
)
from settlement.adapters.imports import import_journal, import_merchants, import_rates
from settlement.config import Settings
from settlement.domain.recon_classes import ReconClass
from settlement.eod.ledger_step import InvariantBroken
from settlement.eod.run import RunRequest, run_end_of_day
from tests.support.reports import write_day_reports
from tests.support.staging_builder import (
    JOURNAL_HEADER,
    MERCHANTS_HEADER,
    insert_staged,
    journal_line,
    merchant_line,
    migrated_database,
    staged,
)

DAY1 = date(2026, 3, 11)  # cutoff 22:00 CET = 21:00 UTC
DAY2 = date(2026, 3, 12)
NOW1 = datetime(2026, 3, 11, 21, 0)
NOW2 = datetime(2026, 3, 12, 21, 0)
Setup = tuple[Engine, Settings]


@pytest.fixture
def setup(db_url: str, tmp_path: Path) -> Iterator[Setup]:
    with migrated_database(db_url, tmp_path) as (engine, settings):
        merchants = [MERCHANTS_HEADER, merchant_line("A", "EUR", 100, "0"),
                     merchant_line("B", "EUR", 100, "0")]  # fmt: skip
        import_merchants(engine, merchants)
        import_rates(engine, ["date,currency,units_per_eur", f"{DAY1},USD,1.25",
                              f"{DAY2},USD,1.25"], NOW1)  # fmt: skip
        yield engine, settings


def at(day: date, minutes: int) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=8, minutes=minutes)


def row(tid: str, amount: str, day: date, minutes: int, **kw: Any) -> dict[str, Any]:
    """A staged row of merchant A at terminal TA (unless told), in EUR."""
    kw.setdefault("merchant_id", "A")
    kw.setdefault("terminal_id", f"T{kw['merchant_id']}")
    return staged(tid, amount, kw.pop("currency", "EUR"), business_date=day,
                  at=at(day, minutes), **kw)  # fmt: skip


def load(engine: Engine, settings: Settings, rows: list[dict[str, Any]],
         journal_only: tuple[dict[str, Any], ...] = ()) -> None:  # fmt: skip
    """Stage `rows`, each also in the journal; `journal_only` rows go to the journal alone."""
    insert_staged(engine, rows)
    lines = [journal_line(r) for r in (*rows, *journal_only)]
    report = import_journal(engine, [JOURNAL_HEADER, *lines], settings, NOW2)
    assert report.rejected == 0


def run(engine: Engine, settings: Settings, day: date, **kw: Any) -> None:
    report = run_end_of_day(engine, settings, RunRequest(day, NOW1 if day == DAY1 else NOW2, **kw))
    assert report.status == "completed", report.message


def items(engine: Engine, day: date) -> dict[str, tuple[str, str, str | None]]:
    ri = reconciliation_items
    with engine.connect() as conn:
        found = conn.execute(select(ri).where(ri.c.run_date == day))
        return {r.transaction_id: (r.recon_class, r.outcome, r.reason) for r in found}


def paid(engine: Engine) -> dict[tuple[date, str], int]:
    with engine.connect() as conn:
        return {(r.run_date, r.merchant_id): r.payout_minor for r in conn.execute(select(payouts))}


def line_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {r.transaction_id for r in conn.execute(select(settlement_lines))}


def exception(reason: str) -> tuple[str, str, str]:
    return (reason, "exception", reason)


SETTLED = ("matched", "settled", None)


def test_a_reversal_from_another_merchant_voids_nothing(setup: Setup) -> None:
    engine, settings = setup
    load(engine, settings, [
        row("PA", "40.00", DAY1, 0),
        row("VB", "40.00", DAY1, 5, merchant_id="B", kind="reversal", original="PA"),
    ])  # fmt: skip
    run(engine, settings, DAY1)
    assert items(engine, DAY1) == {"PA": SETTLED, "VB": exception("reversal_mismatch")}
    assert paid(engine) == {(DAY1, "A"): 3960}


def test_a_reversal_must_equal_its_purchase_and_voids_it_once(setup: Setup) -> None:
    engine, settings = setup
    load(engine, settings, [
        row("P1", "40.00", DAY1, 0),
        row("V1", "40.00", DAY1, 1, kind="reversal", original="P1"),
        row("V1b", "40.00", DAY1, 2, kind="reversal", original="P1"),  # the same void again
        row("P2", "30.00", DAY1, 3),
        row("V2", "3.00", DAY1, 4, kind="reversal", original="P2"),  # another amount
        row("P3", "20.00", DAY1, 5),
        row("V3", "20.00", DAY1, 6, kind="reversal", original="P3", terminal_id="T9"),
        row("P4", "25.00", DAY1, 7),
        row("V4", "25.00", DAY1, 8, kind="reversal", original="P4", currency="USD"),
    ])  # fmt: skip
    run(engine, settings, DAY1)
    assert items(engine, DAY1) == {
        "P1": ("reversed", "reversed", None), "V1": ("reversed", "reversed", None),
        "V1b": exception("reversal_duplicate"),
        "P2": SETTLED, "V2": exception("reversal_mismatch"),
        "P3": SETTLED, "V3": exception("reversal_mismatch"),
        "P4": SETTLED, "V4": exception("reversal_mismatch"),
    }  # fmt: skip


def test_refunds_are_held_to_their_purchase(setup: Setup) -> None:
    engine, settings = setup
    load(engine, settings, [
        row("P1", "10.00", DAY1, 0),
        row("R1", "100.00", DAY1, 1, kind="refund", original="P1"),  # 10x
        row("P2", "50.00", DAY1, 2),
        row("R2a", "50.00", DAY1, 3, kind="refund", original="P2"),
        row("R2b", "50.00", DAY1, 4, kind="refund", original="P2"),  # a second full refund
        row("P3", "20.00", DAY1, 5),
        row("R3", "20.00", DAY1, 6, kind="refund", original="P3", merchant_id="B"),
        row("P4", "20.00", DAY1, 7),
        row("R4", "20.00", DAY1, 8, kind="refund", original="P4", currency="USD"),
        row("R5", "5.00", DAY1, 9, kind="refund", original="R2a"),  # a refund of a refund
        row("P6", "30.00", DAY1, 10),
        row("V6", "30.00", DAY1, 11, kind="reversal", original="P6"),
        row("R6", "1.00", DAY1, 12, kind="refund", original="P6"),  # of a voided purchase
    ])  # fmt: skip
    run(engine, settings, DAY1)
    assert items(engine, DAY1) == {
        "P1": SETTLED, "R1": exception("refund_exceeds_original"),
        "P2": SETTLED, "R2a": SETTLED, "R2b": exception("refund_exceeds_original"),
        "P3": SETTLED, "R3": exception("refund_merchant_mismatch"),
        "P4": SETTLED, "R4": exception("refund_currency_mismatch"),
        "R5": exception("refund_not_of_purchase"),
        "P6": ("reversed", "reversed", None), "V6": ("reversed", "reversed", None),
        "R6": exception("refund_exceeds_original"),
    }  # fmt: skip
    # A: (10 + 50 + 20 + 20) - 50 refunded, fees 1% of each purchase; B: nothing.
    assert paid(engine) == {(DAY1, "A"): 10000 - 5000 - 100}


def test_the_report_names_each_new_class_and_its_checks_hold(setup: Setup, tmp_path: Path) -> None:
    engine, settings = setup
    load(engine, settings, [
        row("P", "10.00", DAY1, 0),
        row("R", "100.00", DAY1, 1, kind="refund", original="P"),
        row("V", "10.00", DAY1, 2, kind="reversal", original="P", merchant_id="B"),
    ])  # fmt: skip
    run(engine, settings, DAY1)
    written = write_day_reports(engine, settings, DAY1, tmp_path / "reports")
    html = written.html.read_text()
    for recon_class in (ReconClass.REFUND_EXCEEDS_ORIGINAL, ReconClass.REVERSAL_MISMATCH):
        assert f"<td>{recon_class}</td><td>{recon_class.meaning}" in html.replace("&#39;", "'")
    summary = json.loads((written.directory / "summary.json").read_text())
    assert summary["checks"]["refunds_within_original"] is True
    assert summary["checks"]["reversal_equals_original"] is True


def test_refunds_across_business_dates_and_reruns_never_exceed(setup: Setup) -> None:
    """Day 1: a purchase of 100 and a partial refund of 30. Day 2: refunds of 60 (fits) and
    20 (would make 110). Reruns of either date pay nothing twice."""
    engine, settings = setup
    load(engine, settings, [
        row("P", "100.00", DAY1, 0),
        row("R1", "30.00", DAY1, 60, kind="refund", original="P"),
        row("R2", "60.00", DAY2, 0, kind="refund", original="P"),
        row("R3", "20.00", DAY2, 1, kind="refund", original="P"),
    ])  # fmt: skip
    run(engine, settings, DAY1)
    run(engine, settings, DAY2)
    assert items(engine, DAY2) == {"R2": SETTLED, "R3": exception("refund_exceeds_original")}
    expected = {(DAY1, "A"): 10000 - 3000 - 100, (DAY2, "A"): -6000}
    assert paid(engine) == expected
    run(engine, settings, DAY2, rerun=True)
    run(engine, settings, DAY1, rerun=True)
    assert paid(engine) == expected
    assert items(engine, DAY1)["R1"] == SETTLED
    assert items(engine, DAY2) == {"R2": SETTLED, "R3": exception("refund_exceeds_original")}


def test_journal_only_refunds_pay_nothing_and_take_nothing(setup: Setup) -> None:
    """A refund the journal lists but that never reached us moves no money, so it leaves the
    whole purchase to refund; a hostile one stays an open journal-only item."""
    engine, settings = setup
    lost = row("RJ", "80.00", DAY1, 1, kind="refund", original="P")
    hostile = row("RJB", "500.00", DAY1, 2, kind="refund", original="P", merchant_id="B")
    load(engine, settings, [
        row("P", "80.00", DAY1, 0),
        row("R", "80.00", DAY1, 3, kind="refund", original="P"),
    ], journal_only=(lost, hostile))  # fmt: skip
    run(engine, settings, DAY1)
    found = items(engine, DAY1)
    assert found["R"] == SETTLED
    for tid in ("RJ", "RJB"):
        assert found[tid] == ("missing_in_staging", "not_staged", "missing_in_staging")
    assert line_ids(engine) == {"P", "R"}


def test_a_refund_of_an_unsettled_purchase_pays_at_most_the_purchase(setup: Setup) -> None:
    """The purchase is an exception (not in the journal): its refunds still settle, within it."""
    engine, settings = setup
    purchase = row("P", "20.00", DAY1, 0)
    insert_staged(engine, [purchase])
    load(engine, settings, [
        row("R1", "15.00", DAY1, 1, kind="refund", original="P"),
        row("R2", "15.00", DAY1, 2, kind="refund", original="P"),
    ])  # fmt: skip
    run(engine, settings, DAY1)
    assert items(engine, DAY1) == {
        "P": exception("unexpected_in_staging"), "R1": SETTLED,
        "R2": exception("refund_exceeds_original"),
    }  # fmt: skip


# --- the invariants catch what the rules would have refused ---------------------------------


def _tamper(*statements: str) -> Any:
    def hook(name: str, conn: Connection) -> None:
        if name == "reconcile":  # a classifier bug: let hostile items through
            for statement in statements:
                conn.execute(text(statement))

    return hook


SETTLE = "UPDATE reconciliation_items SET recon_class = 'matched', outcome = 'settled',"
VOID = "UPDATE reconciliation_items SET recon_class = 'reversed', outcome = 'reversed',"


@pytest.mark.parametrize(
    ("rows", "statements", "finding"),
    [
        pytest.param(
            [row("P", "10.00", DAY1, 0), row("R", "100.00", DAY1, 1, kind="refund", original="P")],
            [f"{SETTLE} reason = NULL WHERE transaction_id = 'R'"],
            "refunds_within_original [EUR]: P refunded 10000 of 1000",
            id="refund-exceeds",
        ),
        pytest.param(
            [row("P", "10.00", DAY1, 0),
             row("R", "10.00", DAY1, 1, kind="refund", original="P", merchant_id="B")],
            [f"{SETTLE} reason = NULL WHERE transaction_id = 'R'"],
            "refunds_within_original [EUR]: R refunds P of merchant A",
            id="refund-other-merchant",
        ),
        pytest.param(
            [row("P", "10.00", DAY1, 0),
             row("R", "10.00", DAY1, 1, kind="refund", original="P", currency="USD")],
            [f"{SETTLE} reason = NULL WHERE transaction_id = 'R'"],
            "refunds_within_original [USD]: R refunds P in EUR",
            id="refund-other-currency",
        ),
        pytest.param(
            [row("P", "40.00", DAY1, 0),
             row("V", "40.00", DAY1, 1, kind="reversal", original="P", merchant_id="B")],
            [f"{VOID} reason = NULL WHERE transaction_id IN ('P', 'V')"],
            "reversal_equals_original [EUR]: V does not equal P",
            id="foreign-reversal",
        ),
    ],
)  # fmt: skip
def test_invariants_refuse_a_payout_that_breaks_the_rules(
    setup: Setup, rows: list[dict[str, Any]], statements: list[str], finding: str
) -> None:
    engine, settings = setup
    load(engine, settings, rows)
    request = RunRequest(DAY1, NOW1, after_step=_tamper(*statements))
    with pytest.raises(InvariantBroken) as caught:
        run_end_of_day(engine, settings, request)
    assert finding in str(caught.value)
    assert "conservation" not in str(caught.value) and "payout_identity" not in str(caught.value)
    with engine.connect() as conn:
        assert all(not list(conn.execute(select(t))) for t in RESULT_TABLES)
        assert conn.execute(select(eod_runs.c.status)).scalar_one() == "failed"
