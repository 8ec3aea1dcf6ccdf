"""The classes a reconciliation item can end in, the order a row is tested for them, what each
means, and the outcome and reason it leads to.

One home for these rules: the pure reconciliation (`reconciliation.reconcile`) evaluates the
precedences below in order, the SQL of the run is generated from the same declarations
(`settlement.adapters.eod_sql` renders each named test to its predicate and builds the CASE
in this order, with these values as literals), and the reports explain a class by `meaning`.
To change how a row is classified (say, a late refund), change it here; a test holds the
generated SQL to these declarations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar


class ReconClass(StrEnum):
    MATCHED = "matched"
    AMOUNT_MISMATCH = "amount_mismatch"
    MISSING_IN_STAGING = "missing_in_staging"
    UNEXPECTED_IN_STAGING = "unexpected_in_staging"
    LATE = "late"
    ORPHAN_REFUND = "orphan_refund"
    REVERSED = "reversed"
    UNPAIRED_REVERSAL = "unpaired_reversal"
    REVERSAL_MISMATCH = "reversal_mismatch"
    REVERSAL_DUPLICATE = "reversal_duplicate"
    REFUND_NOT_OF_PURCHASE = "refund_not_of_purchase"
    REFUND_MERCHANT_MISMATCH = "refund_merchant_mismatch"
    REFUND_CURRENCY_MISMATCH = "refund_currency_mismatch"
    REFUND_EXCEEDS_ORIGINAL = "refund_exceeds_original"

    @property
    def meaning(self) -> str:
        """One line for a reader of the report (docs/refunds-and-reversals.md says more)."""
        return _MEANING[self]


_MEANING = {
    ReconClass.MATCHED: "journal and staging agree (by id, or a tolerant match)",
    ReconClass.AMOUNT_MISMATCH: "same transaction, different amount or currency",
    ReconClass.MISSING_IN_STAGING: "in the journal, never staged (lost or rejected by the gateway)",
    ReconClass.UNEXPECTED_IN_STAGING: "staged, but not in the terminals' journal",
    ReconClass.LATE: "sent after the cutoff, or a late arrival of an earlier date",
    ReconClass.ORPHAN_REFUND: "refund or reversal whose original is nowhere",
    ReconClass.REVERSED: "a purchase and the one reversal equal to it: nothing settles",
    ReconClass.UNPAIRED_REVERSAL: (
        "a reversal equal to a purchase not matched in this run, or refunded by another run"
    ),
    ReconClass.REVERSAL_MISMATCH: (
        "a reversal that differs from its original (merchant, terminal, currency, amount)"
        " or names no purchase: voids nothing"
    ),
    ReconClass.REVERSAL_DUPLICATE: "a second reversal of a purchase already voided",
    ReconClass.REFUND_NOT_OF_PURCHASE: "a refund naming a refund or a reversal",
    ReconClass.REFUND_MERCHANT_MISMATCH: "a refund naming another merchant's purchase",
    ReconClass.REFUND_CURRENCY_MISMATCH: "a refund in another currency than its purchase",
    ReconClass.REFUND_EXCEEDS_ORIGINAL: (
        "a refund that takes the purchase's refunds (all dates) past its amount,"
        " or refunds a reversed purchase"
    ),
}


class Outcome(StrEnum):
    SETTLED = "settled"
    HELD = "held"
    EXCEPTION = "exception"
    REVERSED = "reversed"
    NOT_STAGED = "not_staged"  # journal only: no money reached us


# The outcomes an item stays open in until it is resolved: each run ages them, and resolves a
# never-staged one whose transaction a later date stages.
OPEN_OUTCOMES = (Outcome.EXCEPTION, Outcome.HELD, Outcome.NOT_STAGED)


def outcome_of(recon_class: ReconClass) -> Outcome:
    """What a staged row of this class leads to: only `matched` settles."""
    if recon_class is ReconClass.MATCHED:
        return Outcome.SETTLED
    if recon_class is ReconClass.REVERSED:
        return Outcome.REVERSED
    if recon_class is ReconClass.MISSING_IN_STAGING:
        return Outcome.NOT_STAGED
    return Outcome.EXCEPTION


# A journal line never staged: no money reached us, whatever its class says about it.
JOURNAL_ONLY_OUTCOME = Outcome.NOT_STAGED


def reason_of(recon_class: ReconClass) -> str | None:
    """The reason an item carries: its class, except for the two that are what was asked
    for (settled as journalled, voided by its reversal)."""
    if recon_class in (ReconClass.MATCHED, ReconClass.REVERSED):
        return None
    return recon_class.value


class MatchMethod(StrEnum):
    """How a staged row found its journal line: the same id, or a tolerant match."""

    ID = "id"
    TOLERANT = "tolerant"


Test = TypeVar("Test", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class Precedence(Generic[Test]):
    """Classes tried in order: the first whose named test holds, else `otherwise`.

    Why named tests and not functions: the same order must run in SQL over a million rows;
    each test is a name the domain evaluates (`classify`) and the adapter renders to a
    predicate, so the order is written once."""

    steps: tuple[tuple[ReconClass, Test], ...]
    otherwise: ReconClass

    def classify(self, holds: Callable[[Test], bool]) -> ReconClass:
        for recon_class, test in self.steps:
            if holds(test):
                return recon_class
        return self.otherwise

    @property
    def classes(self) -> tuple[ReconClass, ...]:
        return (*(recon_class for recon_class, _ in self.steps), self.otherwise)


class StagedTest(StrEnum):
    """What the first pass asks of a staged row in scope."""

    ARRIVED_LATE = "arrived_late"  # of an earlier business date, or sent at/after the cutoff
    ORIGINAL_NOWHERE = (
        "original_nowhere"  # a refund/reversal naming an id staged or journalled nowhere
    )
    NOT_IN_JOURNAL = "not_in_journal"  # no journal line under its transaction id
    JOURNAL_DIFFERS = "journal_differs"  # its journal line has another amount or currency


# A staged row: late wins over everything (it belongs to no cutoff of this run), then a
# refund or reversal of nothing, then the journal by transaction id. Tolerant matching
# (reconciliation.tolerant_distance) later refines what is left unexpected_in_staging.
STAGED_PRECEDENCE: Precedence[StagedTest] = Precedence(
    (
        (ReconClass.LATE, StagedTest.ARRIVED_LATE),
        (ReconClass.ORPHAN_REFUND, StagedTest.ORIGINAL_NOWHERE),
        (ReconClass.UNEXPECTED_IN_STAGING, StagedTest.NOT_IN_JOURNAL),
        (ReconClass.AMOUNT_MISMATCH, StagedTest.JOURNAL_DIFFERS),
    ),
    otherwise=ReconClass.MATCHED,
)


class JournalOnlyTest(StrEnum):
    """What is asked of a journal line of the date that was never staged."""

    ORIGINAL_NOWHERE = (
        "original_nowhere"  # a refund/reversal naming an id staged or journalled nowhere
    )


JOURNAL_ONLY_PRECEDENCE: Precedence[JournalOnlyTest] = Precedence(
    ((ReconClass.ORPHAN_REFUND, JournalOnlyTest.ORIGINAL_NOWHERE),),
    otherwise=ReconClass.MISSING_IN_STAGING,
)
