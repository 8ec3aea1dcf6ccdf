"""Reconciliation of staged transactions against the terminals' journal for one business date.

Precedence for a staged row (declared in `recon_classes.STAGED_PRECEDENCE`, the one home the
SQL is generated from too): late, then orphan_refund, then the journal by transaction_id
(unexpected / amount_mismatch / matched), then tolerant matching of what is left (same
merchant, card last four and currency, amount within a tolerance, time within a window;
mutual best candidates), else unexpected_in_staging. Then matched reversals and refunds
are held to the purchase they name (`settlement.domain.originals`,
docs/refunds-and-reversals.md): a reversal equal to its matched purchase voids it (both
`reversed`, nothing settles), any other is an exception; a refund of another merchant or
currency, of no purchase, or past what is left of its purchase is an exception. A journal
row of the date never staged is missing_in_staging (or orphan_refund when its original is
nowhere). Only `matched` settles.

This module is the executable specification; the run does the same set-based in SQL
(settlement/adapters/eod_sql.py, its CASEs generated from `recon_classes` and `originals`)
and a property test holds the two equal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from settlement.domain.calendar import business_date_of
from settlement.domain.money import Money
from settlement.domain.originals import (
    Claim,
    TransactionFacts,
    first_of,
    refund_mismatch,
    refundable_minor,
    refunds_over,
    reversal_equals,
)
from settlement.domain.recon_classes import (
    JOURNAL_ONLY_OUTCOME,
    JOURNAL_ONLY_PRECEDENCE,
    STAGED_PRECEDENCE,
    JournalOnlyTest,
    MatchMethod,
    Outcome,
    ReconClass,
    StagedTest,
    outcome_of,
    reason_of,
)
from settlement.domain.transactions import TransactionType

__all__ = ["Outcome", "ReconClass", "outcome_of"]  # re-exported: their home is recon_classes


class JournalFormatError(ValueError):
    """A journal line that cannot be read; the message names the line's problem."""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    transaction_id: str
    terminal_id: str
    merchant_id: str
    transaction_type: TransactionType
    amount: Money
    local_time: datetime  # aware
    card_last4: str
    original_transaction_id: str | None
    business_date: date

    @property
    def transacted_at(self) -> datetime:
        """Naive UTC, the convention of staged rows."""
        return datetime.fromtimestamp(self.local_time.timestamp(), ZoneInfo("UTC")).replace(
            tzinfo=None
        )


def parse_journal_row(row: Mapping[str, str], zone: ZoneInfo, cutoff: time) -> JournalEntry:
    """One journal.csv row; the business date is derived exactly as the gateway derives it.
    Builds the entry only: the import checks each field first (`journal_lines`)."""
    try:
        local_time = datetime.fromisoformat(row["local_time"])
        if local_time.tzinfo is None:
            raise ValueError(f"local_time {row['local_time']!r} has no UTC offset")
        kind = TransactionType(row["type"])
        amount = Money.parse(row["amount"], row["currency"])
        business_date = business_date_of(local_time, zone, cutoff)
    except (KeyError, ValueError, OverflowError) as error:  # year 9999 + a day overflows
        raise JournalFormatError(f"{row.get('transaction_id', '?')}: {error}") from None
    return JournalEntry(
        transaction_id=row["transaction_id"],
        terminal_id=row["terminal_id"],
        merchant_id=row["merchant_id"],
        transaction_type=kind,
        amount=amount,
        local_time=local_time,
        card_last4=row.get("pan_last4", ""),
        original_transaction_id=row.get("original_transaction_id") or None,
        business_date=business_date,
    )


@dataclass(frozen=True, slots=True)
class StagedFacts:
    """What reconciliation needs of a staged row."""

    transaction_id: str
    transaction_type: TransactionType
    original_transaction_id: str | None
    merchant_id: str
    terminal_id: str
    card_last4: str
    amount: Money
    transacted_at: datetime
    sent_at: datetime
    business_date: date


@dataclass(frozen=True, slots=True)
class Tolerance:
    amount_minor: int
    window_s: int


@dataclass(frozen=True, slots=True)
class ReconItem:
    transaction_id: str
    recon_class: ReconClass
    journal_transaction_id: str | None
    staged_amount_minor: int | None
    journal_amount_minor: int | None
    currency: str
    transaction_type: TransactionType
    original_transaction_id: str | None
    match_method: str | None = None

    @property
    def outcome(self) -> Outcome:
        if self.staged_amount_minor is None:  # journal only: no money reached us
            return JOURNAL_ONLY_OUTCOME
        return outcome_of(self.recon_class)

    @property
    def reason(self) -> str | None:
        return reason_of(self.recon_class)


def tolerant_distance(
    staged: StagedFacts, journal: JournalEntry, tolerance: Tolerance
) -> tuple[int, float] | None:
    """(amount difference, seconds apart) when the pair may match, else None."""
    same_key = (staged.merchant_id, staged.card_last4, staged.amount.currency) == (
        journal.merchant_id,
        journal.card_last4,
        journal.amount.currency,
    )
    amount_gap = abs(staged.amount.amount_minor - journal.amount.amount_minor)
    seconds = abs((staged.transacted_at - journal.transacted_at).total_seconds())
    if same_key and amount_gap <= tolerance.amount_minor and seconds <= tolerance.window_s:
        return amount_gap, seconds
    return None


def _staged_tests(
    staged: StagedFacts,
    entry: JournalEntry | None,
    known_ids: set[str],
    run_date: date,
    cutoff: datetime,
) -> dict[StagedTest, bool]:
    """What each named test of `STAGED_PRECEDENCE` says of one staged row."""
    return {
        StagedTest.ARRIVED_LATE: staged.business_date < run_date or staged.sent_at >= cutoff,
        StagedTest.ORIGINAL_NOWHERE: staged.transaction_type is not TransactionType.PURCHASE
        and staged.original_transaction_id not in known_ids,
        StagedTest.NOT_IN_JOURNAL: entry is None,
        StagedTest.JOURNAL_DIFFERS: entry is not None and entry.amount != staged.amount,
    }


def _journal_only_tests(entry: JournalEntry, known_ids: set[str]) -> dict[JournalOnlyTest, bool]:
    """What each named test of `JOURNAL_ONLY_PRECEDENCE` says of a never-staged journal line."""
    return {
        JournalOnlyTest.ORIGINAL_NOWHERE: entry.transaction_type is not TransactionType.PURCHASE
        and entry.original_transaction_id not in known_ids,
    }


def _first_pass(
    staged: StagedFacts,
    journal: Mapping[str, JournalEntry],
    known_ids: set[str],
    run_date: date,
    cutoff: datetime,
) -> ReconItem:
    entry = journal.get(staged.transaction_id)
    tests = _staged_tests(staged, entry, known_ids, run_date, cutoff)
    return ReconItem(
        staged.transaction_id,
        STAGED_PRECEDENCE.classify(tests.__getitem__),
        entry.transaction_id if entry else None,
        staged.amount.amount_minor,
        entry.amount.amount_minor if entry else None,
        staged.amount.currency,
        staged.transaction_type,
        staged.original_transaction_id,
        MatchMethod.ID if entry else None,
    )


def _mutual_best(
    staged: Sequence[StagedFacts], journal: Sequence[JournalEntry], tolerance: Tolerance
) -> dict[str, str]:
    """Pairs (staged id -> journal id) that are each other's closest tolerant candidate."""
    best_s: dict[str, tuple[tuple[int, float, str], str]] = {}
    best_j: dict[str, tuple[tuple[int, float, str], str]] = {}
    for s in staged:
        for j in journal:
            distance = tolerant_distance(s, j, tolerance)
            if distance is None:
                continue
            key_s = (*distance, j.transaction_id)
            key_j = (*distance, s.transaction_id)
            if s.transaction_id not in best_s or key_s < best_s[s.transaction_id][0]:
                best_s[s.transaction_id] = (key_s, j.transaction_id)
            if j.transaction_id not in best_j or key_j < best_j[j.transaction_id][0]:
                best_j[j.transaction_id] = (key_j, s.transaction_id)
    return {
        sid: jid
        for sid, (_, jid) in best_s.items()
        if best_j.get(jid, ((0, 0.0, ""), ""))[1] == sid
    }


@dataclass(frozen=True, slots=True)
class History:
    """What lies outside the day but binds its refunds and reversals: originals staged on
    dates outside the scope, the refunds other runs settled per purchase, the purchases
    other runs voided."""

    originals: Mapping[str, TransactionFacts] = field(default_factory=dict)
    refunded_minor: Mapping[str, int] = field(default_factory=dict)
    voided: frozenset[str] = frozenset()


def facts_of(row: StagedFacts | JournalEntry) -> TransactionFacts:
    return TransactionFacts(
        row.transaction_id, row.transaction_type, row.merchant_id, row.terminal_id, row.amount
    )


def _judge_reversals(
    items: dict[str, ReconItem],
    staged: Mapping[str, StagedFacts],
    originals: Mapping[str, TransactionFacts],
    history: History,
) -> None:
    """A matched reversal equal to a matched purchase voids it (the earliest of several
    equal ones; the others are duplicates); one that differs voids nothing. A purchase
    other runs already refunded is not voided: the void would return all of it on top."""
    matched = {k for k, v in items.items() if v.recon_class is ReconClass.MATCHED}
    equal: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for key in sorted(matched):
        row = staged[key]
        if row.transaction_type is not TransactionType.REVERSAL:
            continue
        original = originals[row.original_transaction_id or ""]
        if not reversal_equals(facts_of(row), original):
            items[key] = replace(items[key], recon_class=ReconClass.REVERSAL_MISMATCH)
        elif original.transaction_id not in matched or history.refunded_minor.get(
            original.transaction_id, 0
        ):
            items[key] = replace(items[key], recon_class=ReconClass.UNPAIRED_REVERSAL)
        else:
            equal[original.transaction_id].append((row.transacted_at, key))
    for purchase_id, reversals in equal.items():
        first = first_of(reversals)
        items[purchase_id] = replace(items[purchase_id], recon_class=ReconClass.REVERSED)
        for _, key in reversals:
            kind = ReconClass.REVERSED if key == first else ReconClass.REVERSAL_DUPLICATE
            items[key] = replace(items[key], recon_class=kind)


def _judge_refunds(
    items: dict[str, ReconItem],
    staged: Mapping[str, StagedFacts],
    originals: Mapping[str, TransactionFacts],
    history: History,
) -> None:
    """A matched refund of another merchant or currency, of no purchase, or past what is
    left of its purchase (all dates, a voided one has nothing left) is an exception."""
    claims: dict[str, list[Claim]] = defaultdict(list)
    for key, item in items.items():
        if item.recon_class is not ReconClass.MATCHED:
            continue
        if item.transaction_type is not TransactionType.REFUND:
            continue
        row = staged[key]
        original = originals[row.original_transaction_id or ""]
        why = refund_mismatch(facts_of(row), original)
        if why is not None:
            items[key] = replace(item, recon_class=why)
        else:
            claims[original.transaction_id].append(
                Claim(row.transacted_at, key, row.amount.amount_minor)
            )
    for purchase_id, group in claims.items():
        here = items.get(purchase_id)
        voided = purchase_id in history.voided or (
            here is not None and here.recon_class is ReconClass.REVERSED
        )
        budget = refundable_minor(originals[purchase_id], voided)
        for key in refunds_over(group, history.refunded_minor.get(purchase_id, 0), budget):
            items[key] = replace(items[key], recon_class=ReconClass.REFUND_EXCEEDS_ORIGINAL)


def reconcile(
    staged: Iterable[StagedFacts],
    journal: Iterable[JournalEntry],
    run_date: date,
    cutoff: datetime,
    tolerance: Tolerance,
    *,
    history: History | None = None,
) -> list[ReconItem]:
    """Reference reconciliation of an in-memory day (staged rows in scope, the whole journal).

    `cutoff` is the run date's cutoff instant (naive UTC); staged rows of earlier dates in
    scope are late arrivals. `history` carries what other dates decided (none by default).
    """
    history = history or History()
    staged_rows = list(staged)
    journal_by_id = {entry.transaction_id: entry for entry in journal}
    staged_by_id = {row.transaction_id: row for row in staged_rows}
    staged_ids = set(staged_by_id)
    known = staged_ids | set(journal_by_id) | set(history.originals)
    originals = {key: facts_of(entry) for key, entry in journal_by_id.items()}
    originals.update(history.originals)
    originals.update({key: facts_of(row) for key, row in staged_by_id.items()})
    items: dict[str, ReconItem] = {}
    for row in staged_rows:
        items[row.transaction_id] = _first_pass(row, journal_by_id, known, run_date, cutoff)
    leftover_s = [
        r
        for r in staged_rows
        if items[r.transaction_id].recon_class is ReconClass.UNEXPECTED_IN_STAGING
    ]
    leftover_j = [
        j
        for j in journal_by_id.values()
        if j.business_date == run_date and j.transaction_id not in staged_ids
    ]
    pairs = _mutual_best(leftover_s, leftover_j, tolerance)
    for sid, jid in pairs.items():
        amount = journal_by_id[jid].amount.amount_minor
        items[sid] = replace(
            items[sid],
            recon_class=ReconClass.MATCHED,
            journal_transaction_id=jid,
            journal_amount_minor=amount,
            match_method=MatchMethod.TOLERANT,
        )
    _judge_reversals(items, staged_by_id, originals, history)
    _judge_refunds(items, staged_by_id, originals, history)
    used = set(pairs.values())
    for j in leftover_j:
        if j.transaction_id in used:
            continue
        kind = JOURNAL_ONLY_PRECEDENCE.classify(_journal_only_tests(j, known).__getitem__)
        items[j.transaction_id] = ReconItem(
            j.transaction_id, kind, j.transaction_id, None, j.amount.amount_minor,
            j.amount.currency, j.transaction_type, j.original_transaction_id, None,
        )  # fmt: skip
    return list(items.values())
