"""The refund and reversal rules in the pure core: reconciliation classes them, the ledger's
checks find a settled row that breaks them (docs/refunds-and-reversals.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from settlement.domain.ledger import (
    SettledRefunds,
    Void,
    check_refunds_within_original,
    check_reversals_equal_original,
)
from settlement.domain.money import Money
from settlement.domain.originals import Claim, TransactionFacts, refunds_over
from settlement.domain.reconciliation import (
    History,
    JournalEntry,
    ReconClass,
    StagedFacts,
    Tolerance,
    reconcile,
)
from settlement.domain.transactions import TransactionType

DAY = date(2026, 3, 12)
CUTOFF = datetime(2026, 3, 12, 21, 0)
T0 = datetime(2026, 3, 12, 10, 0)
P, R, V = TransactionType.PURCHASE, TransactionType.REFUND, TransactionType.REVERSAL


def facts(tid: str, kind: TransactionType = P, minor: int = 1000, **kw: str) -> TransactionFacts:
    currency = kw.pop("currency", "EUR")
    return TransactionFacts(tid, kind, kw.get("merchant", "A"), kw.get("terminal", "T"),
                            Money(minor, currency))  # fmt: skip


def staged(tid: str, kind: TransactionType, minor: int, original: str, minute: int) -> StagedFacts:
    at = T0 + timedelta(minutes=minute)
    return StagedFacts(tid, kind, original, "A", "T", "4242", Money(minor, "EUR"), at, at, DAY)


def journal(row: StagedFacts) -> JournalEntry:
    return JournalEntry(
        row.transaction_id, row.terminal_id, row.merchant_id, row.transaction_type, row.amount,
        row.transacted_at.replace(tzinfo=UTC), row.card_last4, row.original_transaction_id, DAY,
    )  # fmt: skip


def test_refunds_are_served_in_order_and_a_refused_one_blocks_the_rest() -> None:
    given = [(2, "c", 30), (0, "b", 50), (0, "a", 10), (3, "d", 5)]  # minute, id, amount
    claims = [Claim(T0 + timedelta(minutes=m), tid, minor) for m, tid, minor in given]
    assert refunds_over(claims, refunded_minor=0, budget_minor=100) == set()
    assert refunds_over(claims, refunded_minor=20, budget_minor=100) == {"c", "d"}
    assert refunds_over(claims, refunded_minor=0, budget_minor=0) == {"a", "b", "c", "d"}


def test_reconcile_counts_what_other_runs_refunded_and_voided() -> None:
    """Day 2 of a purchase of day 1 (outside the scope, given as history) refunded 30.00."""
    rows = [staged("R2", R, 6000, "P", 0), staged("R3", R, 2000, "P", 1),
            staged("R4", R, 100, "Q", 2)]  # fmt: skip
    history = History(
        originals={"P": facts("P", minor=10000), "Q": facts("Q", minor=500)},
        refunded_minor={"P": 3000},
        voided=frozenset({"Q"}),
    )
    items = reconcile(rows, [journal(r) for r in rows], DAY, CUTOFF, Tolerance(0, 0),
                      history=history)  # fmt: skip
    assert {i.transaction_id: i.recon_class for i in items} == {
        "R2": ReconClass.MATCHED,
        "R3": ReconClass.REFUND_EXCEEDS_ORIGINAL,
        "R4": ReconClass.REFUND_EXCEEDS_ORIGINAL,  # Q was voided: nothing left to refund
    }


def _refunds(amount: int, original: TransactionFacts | None, **kw: object) -> SettledRefunds:
    values: dict[str, object] = {
        "first_refund_id": "R", "original_id": "P", "merchant_id": "A", "currency": "EUR",
        "amount_minor": amount, "original": original, "voided": False, "earlier_minor": 0,
    }  # fmt: skip
    values.update(kw)
    return SettledRefunds(**values)  # type: ignore[arg-type]


def test_the_refund_check_finds_each_broken_rule() -> None:
    purchase = facts("P", minor=1000)
    assert check_refunds_within_original([_refunds(600, purchase, earlier_minor=400)]) == []
    details = [
        f.detail
        for f in check_refunds_within_original([
            _refunds(600, purchase, earlier_minor=500),
            _refunds(1, purchase, merchant_id="B", first_refund_id="RB"),
            _refunds(1, purchase, currency="USD", first_refund_id="RU"),
            _refunds(1, facts("X", R), first_refund_id="RX", original_id="X"),
            _refunds(1, None, first_refund_id="RN", original_id="N"),
            _refunds(1, facts("W"), first_refund_id="RW", original_id="W", voided=True),
        ])
    ]  # fmt: skip
    assert details == [
        "RB refunds P of merchant A", "RU refunds P in EUR", "RX refunds X, a refund",
        "RN refunds N, named nowhere", "P refunded 1102 of 1000", "W refunded 1 of 0",
    ]  # fmt: skip


def test_the_void_check_finds_a_stranger_a_double_and_a_lonely_void() -> None:
    purchase = facts("P")
    good = Void(facts("V", V), "P", purchase, True)
    assert check_reversals_equal_original([good], []) == []
    findings = check_reversals_equal_original(
        [good, Void(facts("VB", V, merchant="B"), "P", purchase, True),
         Void(facts("VT", V, terminal="T2"), "Q", facts("Q"), True),
         Void(facts("VO", V), "O", facts("O"), False)],
        [("L", "EUR")],
    )  # fmt: skip
    assert [f.detail for f in findings] == [
        "L voided by no reversal", "VB does not equal P", "VT does not equal Q",
        "VO voids O, which stays open", "P voided by V, VB",
    ]  # fmt: skip


def test_a_purchase_other_runs_refunded_is_not_voided() -> None:
    """Red team: a refund of P settled on another date, then a reversal equal to P: the void
    would give back all of P on top of the refund, so it voids nothing."""
    purchase = StagedFacts("P", P, None, "A", "T", "4242", Money(10000, "EUR"), T0, T0, DAY)
    rows = [purchase, staged("V", V, 10000, "P", 1)]
    history = History(refunded_minor={"P": 3000})
    items = reconcile(rows, [journal(r) for r in rows], DAY, CUTOFF, Tolerance(0, 0),
                      history=history)  # fmt: skip
    assert {i.transaction_id: i.recon_class for i in items} == {
        "P": ReconClass.MATCHED, "V": ReconClass.UNPAIRED_REVERSAL,
    }  # fmt: skip
    void = Void(facts("V", V), "P", facts("P"), True, refunded_elsewhere_minor=3000)
    assert [f.detail for f in check_reversals_equal_original([void], [])] == [
        "V voids P, refunded by other runs"
    ]
