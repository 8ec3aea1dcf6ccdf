"""What a business date's report is made of: plain values read from the end-of-day tables.

Money stays integer minor units beside its currency (rendered later with `Money.format`);
the only non-integer amount is the FX rounding residue, an exact `Fraction` of minor units.
Every list that grows with the day (exceptions, held items, terminal differences, payouts,
FX pairs) keeps only its `TOP_ROWS` largest rows here, with the full count beside them: the
CSV files carry every row, and the HTML stays the same size whatever the day's volume.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from settlement.compare.result import ModeResult
from settlement.domain.netting import due_minor
from settlement.reports.lesson import Lesson

TOP_ROWS = 10  # rows of each growing table the HTML shows (the largest first)


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
    """An exception, a journal line never staged, or a held item, with its reason and age.
    An exception's `reason` is the reason beyond its class (`reports.reasons`) and its
    `detail` the sentence that says why; a held item's detail is what held it."""

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
    late_by_min: int | None = None  # late exceptions: minutes after the cutoff

    @property
    def difference_minor(self) -> int | None:
        """Journal - staged, when both are there."""
        if self.staged_minor is None or self.journal_minor is None:
            return None
        return self.journal_minor - self.staged_minor


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
class ReasonCount:
    """Exceptions of one class and one reason (beyond the class), with their amounts."""

    recon_class: str
    reason: str
    count: int


@dataclass(frozen=True, slots=True)
class Reconciliation:
    classes: tuple[ClassCount, ...]
    journal_count: int
    terminals: int
    differences: tuple[TerminalDifference, ...]  # the largest differences
    exceptions: Listing
    held: Listing
    held_by_reason: dict[str, int]
    differences_total: int = 0  # (terminal, currency) totals that differ
    terminals_with_difference: int = 0
    exception_reasons: tuple[ReasonCount, ...] = ()
    # missing_in_staging split: rejected by the gateway, by the reject's reason code
    missing_rejected_by_reason: dict[str, int] = field(default_factory=dict)

    def exceptions_with_reason(self, reason: str) -> int:
        return sum(r.count for r in self.exception_reasons if r.reason == reason)


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
    """Payouts, FX and the ledger of one date. `payouts` holds every merchant's (the totals
    are summed from them); the HTML lists `top_payouts`."""

    payouts: tuple[PayoutRow, ...]
    payout_totals: tuple[PayoutTotal, ...]
    fx: tuple[FxPair, ...]
    fx_missing: tuple[FxMissing, ...]
    trial_balance: tuple[BalanceRow, ...]
    settlement_lines: int

    @property
    def top_payouts(self) -> tuple[PayoutRow, ...]:
        """The largest payouts in absolute value (a merchant debit is as worth a look as a
        large credit), in minor units of any currency, then by merchant."""
        ranked = sorted(self.payouts, key=lambda p: (-abs(p.payout_minor), p.merchant_id))
        return tuple(ranked[:TOP_ROWS])

    @property
    def top_fx(self) -> tuple[FxPair, ...]:
        """The pairs with the most lines."""
        ranked = sorted(self.fx, key=lambda p: (-p.lines, p.from_currency, p.to_currency))
        return tuple(ranked[:TOP_ROWS])


@dataclass(frozen=True, slots=True)
class GatewayWindow:
    """The span of time whose gateway batches the report counts (naive UTC, [start, end)).
    `business_day`: the date's own window, previous cutoff to cutoff, in the business
    timezone; `staging`: no batch ran then (the day was replayed later), so the span in which
    the gateway staged the date's rows, first received to last staged."""

    kind: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class BatchSize:
    """The batches of one configured batch size (1: asynchronous) in the window."""

    max_batch: int
    batches: int
    consumers: int
    received: int
    staged: int
    latency_ms_sum: int
    latency_ms_max: int

    @property
    def latency_ms_mean(self) -> int | None:
        return None if not self.staged else round(self.latency_ms_sum / self.staged)

    @property
    def fill(self) -> float | None:
        """Messages a batch carried on average, against the batch size."""
        return None if not self.batches else self.received / self.batches / self.max_batch


@dataclass(frozen=True, slots=True)
class GatewayDay:
    """What the gateway did in the report's window: batches and what became of their
    messages (`gateway_batches`), rejects by reason (`rejected_messages`). `window` None:
    no batch of the date was recorded (staged before the batch record existed)."""

    window: GatewayWindow | None
    batches: int
    consumers: int
    received: int
    staged: int
    duplicates: int
    rejected: int
    failed: int  # handed back for redelivery (each time)
    latency_ms_sum: int
    latency_ms_max: int
    rejected_by_reason: dict[str, int]
    by_batch_size: tuple[BatchSize, ...]

    @property
    def latency_ms_mean(self) -> int | None:
        return None if not self.staged else round(self.latency_ms_sum / self.staged)


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
    gateway: GatewayDay
    recon: Reconciliation
    fraud: Fraud
    books: Books
    checks: tuple[Check, ...]
    comparison: Comparison | None = None
    lesson: Lesson | None = None  # lesson.json of `settlement lesson`, when it ran the day

    @property
    def staged_count(self) -> int:
        return sum(volume.staged_count for volume in self.volumes)
