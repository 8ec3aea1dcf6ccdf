"""What a business date's report is made of: plain values read from the end-of-day tables.

Money stays integer minor units beside its currency (rendered later with `Money.format`);
the only non-integer amount is the FX rounding residue, an exact `Fraction` of minor units.
Long lists (exceptions, held items) keep only their first `DETAIL_ROWS` rows here, with the
full count beside them: the CSV files carry every row, the HTML stays printable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from settlement.compare.result import ModeResult
from settlement.domain.netting import due_minor
from settlement.reports.lesson import Lesson

DETAIL_ROWS = 500  # exceptions shown in the HTML
HELD_ROWS = 200  # held items shown in the HTML


@dataclass(frozen=True, slots=True)
class RunInfo:
    business_date: date
    run_id: str
    status: str
    attempt: int
    started_at: datetime
    finished_at: datetime | None
    timings: dict[str, float]
    scorecard: dict[str, Any] | None  # FraudScorecard.to_dict() as stored with the run


@dataclass(frozen=True, slots=True)
class CurrencyVolume:
    """One transaction currency: where its staged gross went (the conservation check)."""

    currency: str
    staged_count: int
    staged_minor: int
    settled_minor: int
    held_minor: int
    exceptions_minor: int
    reversed_minor: int

    @property
    def difference_minor(self) -> int:
        accounted = self.settled_minor + self.held_minor + self.exceptions_minor
        return self.staged_minor - accounted - self.reversed_minor


@dataclass(frozen=True, slots=True)
class HourBucket:
    label: str  # local wall clock of the hour's start in the business timezone
    count: int


@dataclass(frozen=True, slots=True)
class Hours:
    buckets: tuple[HourBucket, ...]
    outside_day: int  # staged rows in scope transacted outside the date's window (late ones)


@dataclass(frozen=True, slots=True)
class ClassCount:
    recon_class: str
    outcome: str
    count: int


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An exception, a journal line never staged, or a held item, with its reason and age."""

    transaction_id: str
    recon_class: str
    outcome: str
    reason: str
    business_date: date
    age_business_days: int
    merchant_id: str
    terminal_id: str
    transaction_type: str
    currency: str
    staged_minor: int | None
    journal_minor: int | None
    detail: str = ""  # held for fraud: the rules that fired and the score


@dataclass(frozen=True, slots=True)
class TerminalDifference:
    terminal_id: str
    currency: str
    journal_minor: int
    staged_minor: int
    difference_minor: int


@dataclass(frozen=True, slots=True)
class Listing:
    """The first rows of a long list and how many there are in all."""

    rows: tuple[OpenItem, ...]
    total: int


@dataclass(frozen=True, slots=True)
class Reconciliation:
    classes: tuple[ClassCount, ...]
    journal_count: int
    terminals: int
    differences: tuple[TerminalDifference, ...]
    exceptions: Listing
    held: Listing
    held_by_reason: dict[str, int]


@dataclass(frozen=True, slots=True)
class RuleFlags:
    rule: str
    flags: int
    held: int  # flagged transactions held for fraud (review or decline)


@dataclass(frozen=True, slots=True)
class Fraud:
    rules: tuple[RuleFlags, ...]
    flags: int
    flagged_transactions: int
    actions: dict[str, int]  # decision -> transactions
    scorecard: dict[str, Any] | None  # FraudScorecard.to_dict() as stored with the run


@dataclass(frozen=True, slots=True)
class FxPair:
    from_currency: str
    to_currency: str
    rate: str
    rate_date: date
    source: str
    lines: int
    original_minor: int
    converted_minor: int
    residue_minor: Fraction  # sum(converted) - exact sum(original x rate), in to-currency minor
    age_days: int  # business date - rate date (`fx.rate_age_days`)


@dataclass(frozen=True, slots=True)
class FxMissing:
    """Lines held `no_rate` for one currency and why (its latest rate's date and age)."""

    currency: str
    items: int
    detail: str


@dataclass(frozen=True, slots=True)
class PayoutRow:
    merchant_id: str
    merchant_name: str
    currency: str
    purchases_minor: int
    refunds_minor: int
    fees_minor: int
    fx_markup_minor: int
    payout_minor: int
    direction: str
    line_count: int
    carried_in_minor: int = 0  # a merchant debit taken in from its previous payout
    carried_out_minor: int = 0  # the debit passed on to its next payout

    @property
    def due_minor(self) -> int:
        return due_minor(self.payout_minor, self.carried_in_minor, self.carried_out_minor)


@dataclass(frozen=True, slots=True)
class PayoutTotal:
    currency: str
    merchants: int
    purchases_minor: int
    refunds_minor: int
    fees_minor: int
    fx_markup_minor: int
    payout_minor: int
    merchant_debits: int
    line_count: int
    carried_in_minor: int = 0
    carried_out_minor: int = 0

    @property
    def due_minor(self) -> int:
        return due_minor(self.payout_minor, self.carried_in_minor, self.carried_out_minor)


@dataclass(frozen=True, slots=True)
class BalanceRow:
    currency: str
    account: str
    debit_minor: int
    credit_minor: int

    @property
    def balance_minor(self) -> int:
        return self.debit_minor - self.credit_minor


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    currency: str
    passed: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Books:
    """Payouts, FX and the ledger of one date."""

    payouts: tuple[PayoutRow, ...]
    payout_totals: tuple[PayoutTotal, ...]
    fx: tuple[FxPair, ...]
    fx_missing: tuple[FxMissing, ...]
    trial_balance: tuple[BalanceRow, ...]
    settlement_lines: int


@dataclass(frozen=True, slots=True)
class Comparison:
    messages: int
    tps: float
    modes: tuple[ModeResult, ...]


@dataclass(frozen=True, slots=True)
class DayReport:
    run: RunInfo
    timezone: str
    by_type: dict[str, int]
    volumes: tuple[CurrencyVolume, ...]
    hours: Hours
    recon: Reconciliation
    fraud: Fraud
    books: Books
    checks: tuple[Check, ...]
    comparison: Comparison | None = None
    lesson: Lesson | None = None  # lesson.json of `settlement lesson`, when it ran the day

    @property
    def staged_count(self) -> int:
        return sum(volume.staged_count for volume in self.volumes)
