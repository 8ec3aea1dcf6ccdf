"""A whole small end of day on the in-memory store, through the production orchestrator
(`close_day`): no database. What the SQL store does with the same input is held equal by
tests/integration/test_eod_store_differential.py; here the day's outcomes are checked
against numbers worked out by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from settlement.adapters.eod_memory import MemoryEodStore
from settlement.config import Settings
from settlement.domain.fraud import load_rulebook
from settlement.domain.netting import MerchantTerms
from settlement.domain.transactions import TransactionType
from settlement.eod.ledger_step import InvariantBroken
from settlement.eod.run import RunReport, RunRequest, close_day
from tests.support.memory_day import journal_of, rates_on, staged_row

DAY = date(2026, 3, 11)
NOW = datetime(2026, 3, 11, 21, 30)
AT = datetime(2026, 3, 11, 9)
REFUND, REVERSAL = TransactionType.REFUND, TransactionType.REVERSAL


def _day() -> MemoryEodStore:
    def at(minutes: int) -> datetime:
        return AT + timedelta(minutes=minutes)

    rows = [
        staged_row("P1", "100.00", at=at(0)),
        staged_row("R1", "20.00", at=at(1), kind=REFUND, original="P1"),
        staged_row("P3", "30.00", at=at(2), terminal_id="T3"),
        staged_row("V1", "30.00", at=at(3), kind=REVERSAL, original="P3", terminal_id="T3"),
        staged_row("P2", "50.00", "USD", at=at(4), merchant_id="M2"),
        staged_row("A1", "70.00", "AED", at=at(5)),
        staged_row("U1", "10.00", at=at(6), merchant_id="M9"),
        *(staged_row(f"C{i}", "1.00", at=at(10 + i), card="tok-CT") for i in range(3)),
    ]
    journal = [journal_of(row) for row in rows]
    extra = staged_row("X1", "5.00", at=at(30))  # staged, not in the journal
    missing = journal_of(staged_row("J1", "8.00", at=at(31)))  # in the journal, never staged
    merchants = [MerchantTerms("M1", "EUR", 150, 10), MerchantTerms("M2", "JPY", 75, 3)]
    rates = rates_on(DAY, USD="1.0850", JPY="161.50")
    return MemoryEodStore([*rows, extra], [*journal, missing], merchants, rates, published={})


def _close(store: MemoryEodStore) -> RunReport:
    settings = Settings(fx_markup_bps=40)
    return close_day(store, settings, RunRequest(DAY, NOW), "run-1", load_rulebook(None))


def test_a_whole_day_settles_holds_and_books_as_worked_out() -> None:
    store = _day()
    report = _close(store)
    assert report.status == "completed"
    assert report.counts["outcomes"] == {
        "fraud_decline": 3, "no_rate": 1, "reversed": 2, "settled": 3, "unknown_merchant": 1,
    }  # fmt: skip
    assert report.counts["classes"]["unexpected_in_staging"] == 1
    assert report.counts["classes"]["missing_in_staging"] == 1
    results = store.results[DAY]
    m1 = results.payouts[("M1", "EUR")]
    # P1 10000 - R1 2000 - fee (150 bps of 10000 = 150, + 10 fixed); no markup in EUR
    assert (m1.purchases_minor, m1.refunds_minor, m1.fees_minor, m1.payout_minor) == (
        10000, 2000, 160, 7840,
    )  # fmt: skip
    m2 = results.payouts[("M2", "JPY")]  # 50 USD at 161.50 / 1.0850 = 7442.40 -> 7442 JPY
    assert (m2.purchases_minor, m2.fees_minor, m2.fx_markup_minor) == (7442, 56 + 3, 30)
    eur = report.totals["conservation"]["EUR"]  # P1 R1 P3 V1 U1 C0-C2 X1
    assert eur["staged_minor"] == 10000 + 2000 + 3000 + 3000 + 1000 + 300 + 500


def test_the_ledger_balances_and_a_rerun_gives_the_same_books() -> None:
    store = _day()
    first = _close(store)
    ledger = list(store.results[DAY].ledger)
    for currency in {p.currency for p in ledger}:
        mine = [p for p in ledger if p.currency == currency]
        assert sum(p.debit_minor for p in mine) == sum(p.credit_minor for p in mine)
    second = _close(store)
    assert store.results[DAY].ledger == ledger
    assert (second.counts, second.totals) == (first.counts, first.totals)


class _LosesALine(MemoryEodStore):
    def settle(self, run_date: date, fx_markup_bps: int) -> None:
        super().settle(run_date, fx_markup_bps)
        self.results[run_date].lines.pop()


def test_a_lost_settlement_line_breaks_the_run_on_the_memory_store_too() -> None:
    day = _day()
    store = _LosesALine(
        [row for row in day.staged.values()], day.journal.values(), day.merchants.values(),
        day.rates, published={},
    )  # fmt: skip
    with pytest.raises(InvariantBroken, match="conservation"):
        _close(store)
