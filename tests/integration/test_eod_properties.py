"""Property: for any generated day, the run commits (so the ledger balances, money is
conserved, refunds stay within their purchase and voids equal it, all checked inside the
run), and the set-based SQL agrees with the pure domain: reconciliation classes with
`reconcile`, every settlement line with `price_line`. Generated refunds and reversals name
an earlier row (or nothing) and either copy its terms or break each rule: another merchant,
currency, terminal or amount, a refund of a refund, refunds that add up past a purchase."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select

from settlement.adapters.eod_tables import RESULT_TABLES, eod_runs, journal_entries
from settlement.adapters.imports import import_journal, import_merchants, import_rates
from settlement.adapters.tables import staged_transactions
from settlement.config import Settings
from settlement.domain.calendar import cutoff_instant
from settlement.domain.fx import RateQuote, cross_rate
from settlement.domain.money import Money
from settlement.domain.netting import MerchantTerms, price_line
from settlement.domain.reconciliation import (
    JournalEntry,
    StagedFacts,
    Tolerance,
    parse_journal_row,
    reconcile,
)
from settlement.domain.transactions import TransactionType
from settlement.eod.run import RunRequest, run_end_of_day
from tests.support.hand_day import eod_database
from tests.support.staging_builder import (
    JOURNAL_HEADER,
    MERCHANTS_HEADER,
    insert_staged,
    journal_line,
    merchant_line,
    staged,
)

DAY = date(2026, 3, 11)
NOW = datetime(2026, 3, 11, 21, 0)
RATES = {"EUR": Decimal(1), "USD": Decimal("1.0850"), "JPY": Decimal("161.50")}
TERMS = {"M1": MerchantTerms("M1", "EUR", 150, 10), "M2": MerchantTerms("M2", "JPY", 75, 3)}

row_strategy = st.tuples(
    st.sampled_from(["M1", "M2"]),
    st.sampled_from(["EUR", "USD", "JPY"]),
    st.integers(1, 10**6),
    st.sampled_from(["purchase", "purchase", "purchase", "refund", "refund", "reversal"]),
    st.sampled_from(["journal"] * 6 + ["altered", "absent", "late"]),
    st.integers(1, 4),  # a refund or reversal names the row this many places before it
    st.sampled_from(["copy", "copy", "copy", "own"]),  # its original's terms, or its own
    st.integers(1, 4),  # a copied refund asks for share/3 of its original: 4 exceeds it
)
Spec = tuple[str, str, int, str, str, int, str, int]
J = "journal"
REFUNDS: list[Spec] = [  # each refund rule broken once, beside a refund that keeps them
    ("M1", "EUR", 1000, "purchase", J, 1, "copy", 1),  # S0
    ("M1", "EUR", 1, "refund", J, 1, "copy", 3),  # S1: all of S0 back
    ("M1", "EUR", 1, "refund", J, 2, "copy", 1),  # S2: a third of S0 more, too much
    ("M2", "EUR", 500, "refund", J, 3, "own", 1),  # S3: S0 is M1's
    ("M1", "USD", 500, "refund", J, 4, "own", 1),  # S4: S0 is in EUR
    ("M1", "EUR", 5, "refund", J, 1, "own", 1),  # S5: S4 is a refund
]
REVERSALS: list[Spec] = [  # a void, its duplicate, a refund of it, a stranger's void
    ("M1", "EUR", 700, "purchase", J, 1, "copy", 1),  # S0
    ("M2", "JPY", 1, "reversal", J, 1, "copy", 1),  # S1: voids S0
    ("M1", "EUR", 1, "reversal", J, 2, "copy", 1),  # S2: voids S0 again
    ("M1", "EUR", 1, "refund", J, 3, "copy", 1),  # S3: refunds the voided S0
    ("M2", "EUR", 700, "reversal", J, 4, "own", 1),  # S4: M2's void of M1's S0
    ("M1", "USD", 300, "purchase", "absent", 1, "copy", 1),  # S5: unexpected
    ("M1", "EUR", 1, "reversal", J, 1, "copy", 1),  # S6: its purchase is not matched
]


def _terms(spec: Spec, i: int, rows: list[dict[str, Any]]) -> tuple[str, str, int, str | None]:
    """(merchant, currency, amount, terminal) of row i: a refund or reversal that copies its
    original keeps to its rules (a refund by share, so several may exceed it); one with its
    own terms breaks them (another merchant, currency, terminal or amount)."""
    merchant, currency, amount, kind, _fate, back, shape, share = spec
    if kind == "purchase" or shape == "own" or i < back:
        return merchant, currency, amount, None
    original = rows[i - back]
    copied = original["amount_minor"]
    if kind == "refund":
        copied = max(1, copied * share // 3)
    return original["merchant_id"], original["currency"], copied, original["terminal_id"]


def _load(engine: Engine, settings: Settings, spec: list[Spec]) -> None:
    rows: list[dict[str, Any]] = []
    journal = []
    for i, entry in enumerate(spec):
        kind, fate, back = entry[3], entry[4], entry[5]
        merchant, currency, amount, terminal = _terms(entry, i, rows)
        original = None if kind == "purchase" else (f"S{i - back}" if i >= back else "ghost")
        text = Money(amount, currency).format()
        row = staged(f"S{i}", text, currency, merchant_id=merchant, business_date=DAY,
                     at=datetime(2026, 3, 11, 9) + timedelta(minutes=i), kind=kind,
                     original=original, last4=f"{i:04d}", terminal_id=terminal,
                     sent_at=NOW + timedelta(hours=1) if fate == "late" else None)  # fmt: skip
        rows.append(row)
        if fate == "altered":
            journal.append(journal_line(row, amount=Money(amount + 1, currency).format()))
        elif fate != "absent":
            journal.append(journal_line(row))
    insert_staged(engine, rows)
    import_journal(engine, [JOURNAL_HEADER, *journal], settings, NOW)


def _facts(engine: Engine, settings: Settings) -> tuple[list[StagedFacts], list[JournalEntry]]:
    with engine.connect() as conn:
        staged_rows = list(conn.execute(select(staged_transactions)))
        journal_rows = list(conn.execute(select(journal_entries)))
    facts = [
        StagedFacts(r.transaction_id, TransactionType(r.transaction_type),
                    r.original_transaction_id, r.merchant_id, r.terminal_id, r.card_last4,
                    Money(r.amount_minor, r.currency), r.transacted_at, r.sent_at,
                    r.business_date)
        for r in staged_rows
    ]  # fmt: skip
    entries = [
        parse_journal_row(
            {"transaction_id": j.transaction_id, "terminal_id": j.terminal_id,
             "merchant_id": j.merchant_id, "type": j.transaction_type,
             "amount": Money(j.amount_minor, j.currency).format(), "currency": j.currency,
             "local_time": f"{j.local_time.isoformat()}+01:00", "pan_last4": j.card_last4,
             "original_transaction_id": j.original_transaction_id or ""},
            settings.zone, settings.cutoff_time,
        )
        for j in journal_rows
    ]  # fmt: skip
    return facts, entries


def _reset(engine: Engine, reports_dir: Path) -> None:
    """A fresh start: an empty database and no payout file (the previous example's would be
    another database's, which a first run refuses to replace)."""
    with engine.begin() as conn:
        for table in (*RESULT_TABLES, eod_runs, journal_entries, staged_transactions):
            conn.execute(delete(table))
    shutil.rmtree(reports_dir, ignore_errors=True)


def test_sql_agrees_with_the_domain_and_invariants_hold(db_url: str, tmp_path: Path) -> None:
    with eod_database(db_url, tmp_path) as (engine, settings):
        import_merchants(engine, [MERCHANTS_HEADER, merchant_line("M1", "EUR", 150, "0.10"),
                                  merchant_line("M2", "JPY", 75, "3")])  # fmt: skip
        rates = [f"{DAY},{c},{r}" for c, r in RATES.items() if c != "EUR"]
        import_rates(engine, ["date,currency,units_per_eur", *rates], NOW)

        @hypothesis_settings(
            max_examples=40, deadline=None, suppress_health_check=list(HealthCheck)
        )
        @given(st.lists(row_strategy, min_size=1, max_size=12))
        @example(REFUNDS)
        @example(REVERSALS)
        def check(spec: list[Spec]) -> None:
            _reset(engine, settings.reports_dir)
            _load(engine, settings, spec)
            report = run_end_of_day(engine, settings, RunRequest(DAY, NOW))
            assert report.status == "completed", report.message
            _compare(engine, settings)

        check()


def _compare(engine: Engine, settings: Settings) -> None:
    from settlement.adapters.eod_tables import reconciliation_items, settlement_lines  # noqa: PLC0415

    facts, entries = _facts(engine, settings)
    cutoff = cutoff_instant(DAY, settings.zone, settings.cutoff_time)
    tolerance = Tolerance(settings.recon_amount_tolerance_minor, settings.recon_time_window_s)
    expected = {
        i.transaction_id: str(i.recon_class)
        for i in reconcile(facts, entries, DAY, cutoff, tolerance)
    }
    with engine.connect() as conn:
        got = {r.transaction_id: r.recon_class for r in conn.execute(select(reconciliation_items))}
        lines = list(conn.execute(select(settlement_lines)))
    assert got == expected
    quotes = {c: RateQuote(c, r, DAY, "imported") for c, r in RATES.items()}
    for line in lines:
        terms = TERMS[line.merchant_id]
        rate = cross_rate(quotes[line.original_currency], quotes[terms.settlement_currency])
        amount = Money(line.original_amount_minor, line.original_currency)
        kind = TransactionType(line.transaction_type)
        priced = price_line(
            line.transaction_id, kind, amount, terms=terms, rate=rate,
            fx_markup_bps=settings.fx_markup_bps,
        )  # fmt: skip
        assert (line.converted_amount_minor, line.fee_minor, line.fx_markup_minor) == (
            priced.converted.amount_minor,
            priced.fee.amount_minor,
            priced.fx_markup.amount_minor,
        )
