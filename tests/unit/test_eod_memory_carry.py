"""Merchant debits carried to the merchant's next payout, on the in-memory store through the
production orchestrator: carried once, taken in once, in the ledger, never twice on a
re-run; a re-run that changes a debit a later date took in names that date to re-run."""

from __future__ import annotations

from datetime import date, datetime

from settlement.adapters.eod_memory import MemoryEodStore, StagedRow
from settlement.config import Settings
from settlement.domain.fraud import load_rulebook
from settlement.domain.ledger import Account
from settlement.domain.netting import MerchantTerms, Payout
from settlement.eod.run import RunReport, RunRequest, close_day
from tests.support.memory_day import journal_of, staged_row

DAYS = (date(2026, 3, 11), date(2026, 3, 12), date(2026, 3, 13))
# M1's fee: 150 bps + 0.10 EUR a purchase, so a 0.05 EUR sale nets -0.05 (a debit of 5).
TERMS = [MerchantTerms("M1", "EUR", 150, 10), MerchantTerms("M2", "EUR", 150, 10)]


def _sale(tid: str, amount: str, day: int, merchant: str = "M1") -> StagedRow:
    return staged_row(tid, amount, at=datetime(2026, 3, 11 + day, 9), merchant_id=merchant)


def _store(rows: list[StagedRow]) -> MemoryEodStore:
    return MemoryEodStore(rows, [journal_of(r) for r in rows], TERMS, published={})


def _close(store: MemoryEodStore, day: int) -> RunReport:
    request = RunRequest(DAYS[day], datetime(2026, 3, 11 + day, 21, 30), allow_empty=True)
    return close_day(store, Settings(), request, f"run-{day}", load_rulebook(None))


def _payout(store: MemoryEodStore, day: int, merchant: str = "M1") -> Payout:
    return store.results[DAYS[day]].payouts[(merchant, "EUR")]


def test_a_debit_is_carried_into_the_next_payout_and_booked() -> None:
    store = _store([_sale("P1", "0.05", 0), _sale("P2", "20.00", 1)])
    _close(store, 0)
    first = _payout(store, 0)
    assert (first.payout_minor, first.carried_out_minor, first.due_minor) == (-5, 5, 0)
    report = _close(store, 1)
    second = _payout(store, 1)  # 2000 - (30 + 10) = 1960, less the 5 carried in
    assert (second.payout_minor, second.carried_in_minor, second.due_minor) == (1960, 5, 1955)
    assert report.totals["payouts"]["EUR"]["carried_in_minor"] == 5
    day0 = [p for p in store.results[DAYS[0]].ledger if p.memo == "debit carried out"]
    day1 = [p for p in store.results[DAYS[1]].ledger if p.memo == "debit carried in"]
    assert {(p.account, p.debit_minor, p.credit_minor) for p in day0} == {
        (Account.MERCHANT_RECEIVABLE, 5, 0), (Account.MERCHANT_PAYABLE, 0, 5),
    }  # fmt: skip
    assert {(p.account, p.debit_minor, p.credit_minor) for p in day1} == {
        (Account.MERCHANT_PAYABLE, 5, 0), (Account.MERCHANT_RECEIVABLE, 0, 5),
    }  # fmt: skip


def test_a_debit_not_covered_is_carried_further_and_waits_for_a_payout() -> None:
    store = _store([_sale("P1", "0.05", 0), _sale("Q1", "5.00", 1, "M2"),
                    _sale("P3", "0.03", 2), _sale("P4", "0.01", 2)])  # fmt: skip
    for day in (0, 1, 2):
        _close(store, day)
    assert ("M1", "EUR") not in store.results[DAYS[1]].payouts  # no sale: the debit waits
    third = _payout(store, 2)  # 4 - 20 = -16, and the 5 from two dates before: 21 owed
    assert (third.payout_minor, third.carried_in_minor, third.carried_out_minor) == (-16, 5, 21)
    assert third.due_minor == 0


def test_a_rerun_never_carries_twice() -> None:
    store = _store([_sale("P1", "0.05", 0), _sale("P2", "20.00", 1)])
    _close(store, 0)
    _close(store, 1)
    books = (store.results[DAYS[1]].payouts, list(store.results[DAYS[1]].ledger))
    _close(store, 1)  # the later date again
    _close(store, 0)  # and the earlier one, unchanged: the later date's intake still holds
    assert (store.results[DAYS[1]].payouts, store.results[DAYS[1]].ledger) == (
        books[0], books[1],
    )  # fmt: skip
    assert _payout(store, 1).carried_in_minor == 5


def test_a_rerun_that_changes_a_debit_a_later_date_took_in_names_that_date() -> None:
    store = _store([_sale("P1", "0.05", 0), _sale("P2", "20.00", 1)])
    _close(store, 0)
    _close(store, 1)
    late = _sale("P0", "0.01", 0)  # one more sale below the fee on the first date
    store.staged[late.transaction.transaction_id] = late
    store.journal[late.transaction.transaction_id] = journal_of(late)
    report = _close(store, 0)
    assert report.message.endswith(
        "re-run 2026-03-12 after it: merchant debits they took in changed"
    )
    assert report.counts["carried_debits_rerun"] == ["2026-03-12"]
    assert _payout(store, 0).carried_out_minor == 14
    again = _close(store, 1)  # the later date re-run: it takes in the new debit, once
    assert _payout(store, 1).carried_in_minor == 14
    assert "carried_debits_rerun" not in _close(store, 0).counts
    assert again.totals["payouts"]["EUR"]["carried_in_minor"] == 14


def test_a_credit_with_nothing_carried_is_paid_whole() -> None:
    store = _store([_sale("P1", "10.00", 0)])
    _close(store, 0)
    payout = _payout(store, 0)
    assert (payout.carried_in_minor, payout.carried_out_minor, payout.due_minor) == (
        0, 0, payout.payout_minor,
    )  # fmt: skip
    assert not [p for p in store.results[DAYS[0]].ledger if "carried" in p.memo]
