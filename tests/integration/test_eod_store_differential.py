"""Differential: the in-memory end-of-day store (pure domain) and the SQL store give the same
results on generated two-day histories, on SQLite and PostgreSQL.

Each example stages a first date and runs it through `run_end_of_day` (the SQL store), then
stages late arrivals of that date and a second date and runs that; the memory store, loaded
with the same input at the same moments, runs both dates through the same orchestrator
(`close_day`). Every result row (items with class, outcome, reason, age and resolution;
settlement lines; payouts; ledger entries; fraud flags and decisions; rates; totals) and each
run's counts and totals must be equal. The days mix refunds and reversals (of either date,
keeping or breaking their rules), journal mismatches, re-keyed and journal-only lines, late
sends, late arrivals, fraud (card bursts, large amounts), FX, a currency without a rate
(AED), one whose latest rate is older than the age limit (RUB: the ECB stopped it on
2022-03-01, so both stores hold it with the same detail), a merchant nobody imported (M9),
and merchant debits (sales below the fixed fee, refunds) carried from the first date's
payouts into the second's.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete

from settlement.adapters.eod_memory import MemoryEodStore
from settlement.adapters.eod_tables import RESULT_TABLES, eod_runs, journal_entries
from settlement.adapters.imports import import_journal, import_merchants, import_rates
from settlement.adapters.tables import staged_transactions
from settlement.config import Settings
from settlement.domain.fraud import load_rulebook
from settlement.domain.money import Money
from settlement.eod.run import RunReport, RunRequest, close_day, run_end_of_day
from tests.support.eod_stores import memory_store_of, memory_tables, sql_tables
from tests.support.staging_builder import (
    JOURNAL_HEADER,
    MERCHANTS_HEADER,
    insert_staged,
    journal_line,
    merchant_line,
    migrated_database,
    staged,
)

DAYS = (date(2026, 3, 11), date(2026, 3, 12))
NOWS = (datetime(2026, 3, 11, 21, 30), datetime(2026, 3, 12, 21, 30))
SETTINGS = {"fx_markup_bps": 40, "recon_amount_tolerance_minor": 2}
FATES = ["journal"] * 6 + ["altered", "absent", "journal_only", "rekeyed", "sent_late"]

row_strategy = st.tuples(
    st.integers(0, 1),  # the business date
    st.sampled_from(["M1", "M1", "M2", "M3", "M9"]),
    st.sampled_from(["EUR", "EUR", "USD", "JPY", "AED", "RUB"]),
    st.one_of(st.integers(1, 30), st.integers(1, 400_000)),  # small: below the fee, a debit
    st.sampled_from(["purchase", "purchase", "purchase", "refund", "reversal"]),
    st.sampled_from([*FATES, "arrives_late"]),
    st.integers(1, 4),  # a refund or reversal names the row this many places before it
    st.sampled_from(["copy", "copy", "own"]),  # its original's terms, or its own
    st.sampled_from([None, None, "c1", "c2"]),  # a shared card makes bursts
)
Spec = tuple[int, str, str, int, str, str, int, str, str | None]
EVERYTHING: list[Spec] = [
    (0, "M1", "EUR", 1000, "purchase", "journal", 1, "copy", None),  # S0
    (0, "M1", "EUR", 1, "refund", "journal", 1, "copy", None),  # S1 refunds S0
    (0, "M1", "USD", 700, "purchase", "journal", 1, "copy", "c1"),  # S2
    (0, "M1", "EUR", 1, "reversal", "journal", 1, "copy", None),  # S3 voids S2
    (0, "M2", "AED", 5000, "purchase", "journal", 1, "copy", None),  # S4 no_rate
    (0, "M9", "EUR", 5000, "purchase", "journal", 1, "copy", None),  # S5 unknown merchant
    (0, "M1", "EUR", 400, "purchase", "arrives_late", 1, "copy", None),  # S6
    (0, "M1", "EUR", 300_000, "purchase", "journal", 1, "copy", "c2"),  # S7 over limit
    (0, "M1", "EUR", 100, "purchase", "journal_only", 1, "copy", None),  # S8
    (0, "M1", "EUR", 200, "purchase", "rekeyed", 1, "copy", None),  # S9 tolerant
    (1, "M1", "EUR", 1, "refund", "journal", 4, "copy", None),  # S10 refunds S6 (late)
    (1, "M2", "JPY", 300, "purchase", "altered", 1, "copy", None),  # S11
    (1, "M1", "EUR", 1, "refund", "journal", 11, "copy", None),  # S12 refunds S1: not a purchase
    *[(1, "M1", "EUR", 150, "purchase", "journal", 1, "copy", "c1")] * 6,  # card testing
    (1, "M2", "USD", 900, "purchase", "sent_late", 1, "copy", None),
    (0, "M2", "USD", 12345, "purchase", "journal", 1, "copy", None),  # USD -> JPY
    (1, "M1", "JPY", 5000, "purchase", "journal", 1, "copy", None),  # JPY -> EUR
    (0, "M3", "EUR", 5, "purchase", "journal", 1, "copy", None),  # below the fee: a debit
    (1, "M3", "EUR", 12, "purchase", "journal", 1, "copy", None),  # carried further
    (1, "M3", "USD", 3, "purchase", "journal", 1, "copy", None),
    (1, "M1", "RUB", 800, "purchase", "journal", 1, "copy", None),  # no_rate: a stale rate
]


def _terms(spec: Spec, i: int, rows: list[dict[str, Any]]) -> tuple[str, str, int, str | None]:
    _, merchant, currency, amount, kind, _, back, shape, _ = spec
    if kind == "purchase" or shape == "own" or i < back:
        return merchant, currency, amount, None
    original = rows[i - back]
    copied = original["amount_minor"] if kind == "reversal" else max(1, amount % 3 or 1)
    return original["merchant_id"], original["currency"], copied, original["terminal_id"]


def _rows(spec: list[Spec]) -> tuple[list[dict[str, Any]], list[str]]:
    rows: list[dict[str, Any]] = []
    for i, entry in enumerate(spec):
        day, kind, fate, back, card = entry[0], entry[4], entry[5], entry[6], entry[8]
        merchant, currency, amount, terminal = _terms(entry, i, rows)
        sent = NOWS[day] + timedelta(hours=1) if fate in ("sent_late", "arrives_late") else None
        rows.append(
            staged(
                f"S{i}", Money(amount, currency).format(), currency, merchant_id=merchant,
                business_date=DAYS[day], at=datetime(2026, 3, 11 + day, 9) + timedelta(minutes=i),
                kind=kind, original=None if kind == "purchase" else f"S{max(i - back, 0)}",
                card=card, last4=f"{i % 7:04d}", terminal_id=terminal, sent_at=sent,
            )
        )  # fmt: skip
    return rows, [entry[5] for entry in spec]


def _journal(row: dict[str, Any], fate: str) -> list[str]:
    if fate == "altered":
        bumped = Money(row["amount_minor"] + 1, row["currency"]).format()
        return [journal_line(row, amount=bumped)]
    if fate == "rekeyed":
        return [journal_line(row, tid=f"{row['transaction_id']}J")]
    return [] if fate == "absent" else [journal_line(row)]


def _stage(
    engine: Engine,
    settings: Settings,
    day: tuple[int, list[dict[str, Any]], list[str]],
    memory: MemoryEodStore | None,
) -> MemoryEodStore:
    """Stage date `day`'s rows (and, for the second date, the first's late arrivals) and
    import its journal; the memory store takes the database's input as it now is."""
    day, rows, fates = day
    mine = [(r, f) for r, f in zip(rows, fates, strict=True) if r["business_date"] == DAYS[day]]
    arriving = [r for r, f in mine if f not in ("journal_only", "arrives_late")]
    if day == 1:
        arriving += [r for r, f in zip(rows, fates, strict=True) if f == "arrives_late"]
    insert_staged(engine, arriving)
    lines = [line for r, f in mine for line in _journal(r, f)]
    import_journal(engine, [JOURNAL_HEADER, *lines], settings, NOWS[day])
    loaded = memory_store_of(engine)
    if memory is None:
        return loaded
    memory.staged, memory.journal = loaded.staged, loaded.journal
    return memory


def _reset(engine: Engine, reports_dir: Path) -> None:
    with engine.begin() as conn:
        for table in (*RESULT_TABLES, eod_runs, journal_entries, staged_transactions):
            conn.execute(delete(table))
    shutil.rmtree(reports_dir, ignore_errors=True)


def _same_report(sql: RunReport, memory: RunReport) -> None:
    assert sql.status == "completed", sql.message
    assert (memory.counts, memory.totals) == (sql.counts, sql.totals)


def test_memory_store_equals_sql_store(db_url: str, tmp_path: Path) -> None:
    with migrated_database(db_url, tmp_path, **SETTINGS) as (engine, settings):
        import_merchants(engine, [MERCHANTS_HEADER, merchant_line("M1", "EUR", 150, "0.10"),
                                  merchant_line("M2", "JPY", 75, "3"),
                                  merchant_line("M3", "EUR", 150, "0.10")])  # fmt: skip
        import_rates(engine, ["date,currency,units_per_eur", f"{DAYS[0]},USD,1.0850",
                              f"{DAYS[0]},JPY,161.50"], NOWS[0])  # fmt: skip
        rulebook = load_rulebook(None)

        @hypothesis_settings(
            max_examples=15, deadline=None, suppress_health_check=list(HealthCheck)
        )
        @given(st.lists(row_strategy, min_size=1, max_size=14))
        @example(EVERYTHING)
        def check(spec: list[Spec]) -> None:
            _reset(engine, settings.reports_dir)
            rows, fates = _rows(spec)
            memory = None
            for day in (0, 1):
                memory = _stage(engine, settings, (day, rows, fates), memory)
                request = RunRequest(DAYS[day], NOWS[day], allow_empty=True)
                sql = run_end_of_day(engine, settings, request)
                in_memory = close_day(memory, settings, request, "memory", rulebook)
                _same_report(sql, in_memory)
            assert memory is not None
            assert memory_tables(memory) == sql_tables(engine)
            if spec is EVERYTHING:  # the debit of the first date carried into the second
                payouts = memory.results
                assert payouts[DAYS[0]].payouts[("M3", "EUR")].carried_out_minor == 5
                second = payouts[DAYS[1]].payouts[("M3", "EUR")]
                assert (second.carried_in_minor, second.carried_out_minor) == (5, 10)

        check()
