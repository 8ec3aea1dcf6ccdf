"""Reconciliation of staged transactions against the terminals' journal for one business date.

Precedence for a staged row: late, then orphan_refund, then the journal by transaction_id
(matched / amount_mismatch), then tolerant matching of what is left (same merchant, card last
four and currency, amount within a tolerance, time within a window; mutual best candidates),
else unexpected_in_staging. Matched reversals pair with their matched purchase (both
`reversed`, nothing settles). A journal row of the date never staged is missing_in_staging
(or orphan_refund when its original is nowhere). Only `matched` settles.

This module is the executable specification; the run does the same set-based in SQL
(settlement/adapters/eod_sql.py) and a property test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from settlement.domain.calendar import business_date_of
from settlement.domain.money import Money
from settlement.domain.transactions import TransactionType


class ReconClass(StrEnum):
    MATCHED = "matched"
    AMOUNT_MISMATCH = "amount_mismatch"
    MISSING_IN_STAGING = "missing_in_staging"
    UNEXPECTED_IN_STAGING = "unexpected_in_staging"
    LATE = "late"
    ORPHAN_REFUND = "orphan_refund"
    REVERSED = "reversed"
    UNPAIRED_REVERSAL = "unpaired_reversal"


class Outcome(StrEnum):
    SETTLED = "settled"
    HELD = "held"
    EXCEPTION = "exception"
    REVERSED = "reversed"
    NOT_STAGED = "not_staged"  # journal only: no money reached us


def outcome_of(recon_class: ReconClass) -> Outcome:
    if recon_class is ReconClass.MATCHED:
        return Outcome.SETTLED
    if recon_class is ReconClass.REVERSED:
        return Outcome.REVERSED
    if recon_class is ReconClass.MISSING_IN_STAGING:
        return Outcome.NOT_STAGED
    return Outcome.EXCEPTION


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
        return outcome_of(self.recon_class)


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


def _first_pass(
    staged: StagedFacts, journal: Mapping[str, JournalEntry], known_ids: set[str], cutoff: datetime
) -> ReconItem:
    def item(recon_class: ReconClass, entry: JournalEntry | None = None) -> ReconItem:
        return ReconItem(
            staged.transaction_id,
            recon_class,
            entry.transaction_id if entry else None,
            staged.amount.amount_minor,
            entry.amount.amount_minor if entry else None,
            staged.amount.currency,
            staged.transaction_type,
            staged.original_transaction_id,
            "id" if entry else None,
        )

    entry = journal.get(staged.transaction_id)
    if staged.sent_at >= cutoff:
        return item(ReconClass.LATE, entry)
    if staged.transaction_type is not TransactionType.PURCHASE and (
        staged.original_transaction_id not in known_ids
    ):
        return item(ReconClass.ORPHAN_REFUND, entry)
    if entry is None:
        return item(ReconClass.UNEXPECTED_IN_STAGING)
    if entry.amount != staged.amount:
        return item(ReconClass.AMOUNT_MISMATCH, entry)
    return item(ReconClass.MATCHED, entry)


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


def _pair_reversals(items: dict[str, ReconItem]) -> None:
    matched = {k: v for k, v in items.items() if v.recon_class is ReconClass.MATCHED}
    purchases = {
        r.original_transaction_id
        for r in matched.values()
        if r.transaction_type is TransactionType.REVERSAL
        and r.original_transaction_id in matched
        and matched[r.original_transaction_id].transaction_type is TransactionType.PURCHASE
        and matched[r.original_transaction_id].staged_amount_minor == r.staged_amount_minor
    }
    for key, item in matched.items():
        if key in purchases:
            items[key] = replace(item, recon_class=ReconClass.REVERSED)
        elif item.transaction_type is TransactionType.REVERSAL:
            paired = item.original_transaction_id in purchases
            kind = ReconClass.REVERSED if paired else ReconClass.UNPAIRED_REVERSAL
            items[key] = replace(item, recon_class=kind)


def reconcile(
    staged: Iterable[StagedFacts],
    journal: Iterable[JournalEntry],
    run_date: date,
    cutoff: datetime,
    tolerance: Tolerance,
) -> list[ReconItem]:
    """Reference reconciliation of an in-memory day (staged rows in scope, the whole journal).

    `cutoff` is the run date's cutoff instant (naive UTC); staged rows of earlier dates in
    scope are late arrivals.
    """
    staged_rows = list(staged)
    journal_by_id = {entry.transaction_id: entry for entry in journal}
    staged_ids = {row.transaction_id for row in staged_rows}
    known = staged_ids | set(journal_by_id)
    items: dict[str, ReconItem] = {}
    for row in staged_rows:
        first = _first_pass(row, journal_by_id, known, cutoff)
        if row.business_date < run_date:
            first = replace(first, recon_class=ReconClass.LATE)
        items[row.transaction_id] = first
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
            match_method="tolerant",
        )
    _pair_reversals(items)
    used = set(pairs.values())
    for j in leftover_j:
        if j.transaction_id in used:
            continue
        orphan = j.transaction_type is not TransactionType.PURCHASE and (
            j.original_transaction_id not in known
        )
        kind = ReconClass.ORPHAN_REFUND if orphan else ReconClass.MISSING_IN_STAGING
        items[j.transaction_id] = ReconItem(
            j.transaction_id, kind, j.transaction_id, None, j.amount.amount_minor,
            j.amount.currency, j.transaction_type, j.original_transaction_id, None,
        )  # fmt: skip
    return list(items.values())
