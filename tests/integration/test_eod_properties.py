"""Property: for any generated day, the run commits (so the ledger balances and money is
conserved, both checked inside the run), and the set-based SQL agrees with the pure domain:
reconciliation classes with `reconcile`, every settlement line with `price_line`."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given
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
from tests.integration.test_eod_day import eod_database
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
    st.sampled_from(["purchase", "purchase", "refund", "reversal"]),
    st.sampled_from(["journal", "journal", "journal", "altered", "absent", "late"]),
)


def _load(engine: Engine, settings: Settings, spec: list[tuple[str, str, int, str, str]]) -> None:
    rows, journal = [], []
    for i, (merchant, currency, amount, kind, fate) in enumerate(spec):
        original = (
            f"S{i - 1}" if kind != "purchase" and i else ("ghost" if kind != "purchase" else None)
        )
        text = Money(amount, currency).format()
        row = staged(f"S{i}", text, currency, merchant_id=merchant, business_date=DAY,
                     at=datetime(2026, 3, 11, 9) + timedelta(minutes=i), kind=kind,
                     original=original, last4=f"{i:04d}",
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
            max_examples=12, deadline=None, suppress_health_check=list(HealthCheck)
        )
        @given(st.lists(row_strategy, min_size=1, max_size=12))
        def check(spec: list[tuple[str, str, int, str, str]]) -> None:
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
