"""The end of day's in-memory store: `settlement.eod.store.EodStore` on Python structures,
computed with the pure domain (`reconcile`, `price_line`/`net`; the run's own orchestrator
calls `post` and the checks on what it returns).

Why it exists: a unit test runs a whole small day through the same orchestrator as
production, without a database, in milliseconds. Why here: it is a second implementation of
the store port, beside the SQL one, and like it may read the domain but nothing above it.
It is a reference, not a second production path: tests/integration/
test_eod_store_differential.py holds its results equal to the SQL store's on generated days.

The fraud screen here reads every group (the pre-filter is a speed-up the SQL store needs,
proven never to change a flag), and a run is completed when `complete` says so: there is no
claim to race for in one process.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import groupby
from typing import Any

from settlement.adapters.purchase_rows import Narrowing
from settlement.adapters.rates import ecb_currencies, ecb_history
from settlement.domain.calendar import business_days_between
from settlement.domain.fraud import FraudDecision, FraudFlag
from settlement.domain.fx import CrossRate
from settlement.domain.ledger import (
    CarriedFlow,
    CarryLink,
    Paid,
    Posting,
    SettledFlow,
    SettledRefunds,
    SuspenseFlow,
    Void,
)
from settlement.domain.money import Money
from settlement.domain.netting import (
    MerchantTerms,
    Payout,
    SettlementLine,
    carry_debits,
    net,
    price_line,
)
from settlement.domain.originals import TransactionFacts
from settlement.domain.recon_classes import OPEN_OUTCOMES, Outcome, ReconClass
from settlement.domain.reconciliation import (
    History,
    JournalEntry,
    ReconItem,
    StagedFacts,
    Tolerance,
    facts_of,
    reconcile,
)
from settlement.domain.run_scope import Scope
from settlement.domain.transactions import StagedTransaction, TransactionType

Span = tuple[date, date]
RateHistory = list[tuple[date, Decimal]]
StoredRates = list[tuple[date, Decimal, str]]  # (date, units per EUR, source), ascending
_PAYOUT_TOTALS = (
    "payout_minor", "fees_minor", "fx_markup_minor", "merchant_debits", "carried_in_minor",
    "carried_out_minor",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class StagedRow:
    """A staged transaction and when its message was sent (late when at or past cutoff)."""

    transaction: StagedTransaction
    sent_at: datetime


@dataclass(slots=True)
class Item:
    """A reconciliation item, as the SQL store's `reconciliation_items` row."""

    run_date: date
    transaction_id: str
    journal_transaction_id: str | None
    business_date: date
    merchant_id: str
    terminal_id: str
    transaction_type: TransactionType
    original_transaction_id: str | None
    currency: str
    staged_amount_minor: int | None
    journal_amount_minor: int | None
    recon_class: ReconClass
    match_method: str | None
    outcome: Outcome
    reason: str | None
    age_business_days: int = 0
    resolved_on: date | None = None
    reason_detail: str | None = None


@dataclass(slots=True)
class DayResults:
    """What one run date's run wrote."""

    items: dict[str, Item] = field(default_factory=dict)
    flags: list[FraudFlag] = field(default_factory=list)
    decisions: dict[str, FraudDecision] = field(default_factory=dict)
    rates: dict[tuple[str, str], CrossRate] = field(default_factory=dict)
    lines: list[SettlementLine] = field(default_factory=list)
    payouts: dict[tuple[str, str], Payout] = field(default_factory=dict)
    totals: list[tuple[str, str, str, int, int, int]] = field(default_factory=list)
    ledger: list[Posting] = field(default_factory=list)


class MemoryEodStore:
    """Staged rows, journal, merchants and imported rates in; each date's results out."""

    def __init__(
        self,
        staged: Iterable[StagedRow],
        journal: Iterable[JournalEntry],
        merchants: Iterable[MerchantTerms],
        rates: Mapping[str, StoredRates] | None = None,
        *,
        published: Mapping[str, RateHistory] | None = None,
    ) -> None:
        """`rates`: imported, with their source; `published`: the reference history, None
        for the shipped ECB file the SQL store reads (a unit test passes its own: parsing
        the file takes ~1 s)."""
        self.staged = {row.transaction.transaction_id: row for row in staged}
        self.journal = {entry.transaction_id: entry for entry in journal}
        self.merchants = {terms.merchant_id: terms for terms in merchants}
        self.rates = {c: sorted(history) for c, history in (rates or {}).items()}
        self.published = None if published is None else dict(published)
        self.results: dict[date, DayResults] = {}
        self.completed: dict[date, dict[str, Any]] = {}

    def _day(self, run_date: date) -> DayResults:
        return self.results.setdefault(run_date, DayResults())

    def _items(self, run_date: date) -> list[Item]:
        return list(self._day(run_date).items.values())

    def _settling(self, run_date: date) -> list[Item]:
        return [i for i in self._items(run_date) if i.outcome is Outcome.SETTLED]

    # --- the run's own results -----------------------------------------------------------
    def reset(self, run_date: date) -> None:
        self.results.pop(run_date, None)
        for results in self.results.values():
            for item in results.items.values():
                if item.resolved_on == run_date:
                    item.resolved_on = None

    def scope(self, run_date: date, cutoff_utc: datetime, lookback_start: date) -> Scope:
        later = any(day > run_date for day in self.completed)
        return Scope(run_date, cutoff_utc, lookback_start, later)

    def _taken(self, run_date: date) -> set[str]:
        """Staged rows another run reported."""
        return {
            item.transaction_id
            for day, results in self.results.items()
            if day != run_date
            for item in results.items.values()
            if item.staged_amount_minor is not None
        }

    def _in_scope(self, scope: Scope) -> list[StagedRow]:
        day, taken = scope.run_date, self._taken(scope.run_date)

        def covered(row: StagedRow) -> bool:
            booked = row.transaction.business_date
            if booked == day:
                return not scope.later_runs_exist or row.transaction.transaction_id not in taken
            late = scope.lookback_start <= booked < day and booked in self.completed
            return late and row.transaction.transaction_id not in taken

        return [row for row in self.staged.values() if covered(row)]

    def _history(self, run_date: date, scoped: set[str]) -> History:
        voided = {
            item.transaction_id
            for day, results in self.results.items()
            if day != run_date
            for item in results.items.values()
            if item.recon_class is ReconClass.REVERSED
        }
        refunded = {k: v for k, v in self._refunded_elsewhere(run_date).items() if k is not None}
        originals = {
            tid: facts_of(_facts(row)) for tid, row in self.staged.items() if tid not in scoped
        }
        return History(originals, refunded, frozenset(voided))

    def reconcile(self, scope: Scope, tolerance: Tolerance) -> None:
        day = scope.run_date
        rows = {row.transaction.transaction_id: row for row in self._in_scope(scope)}
        # A journal line staged outside the scope is another run's business, as in SQL.
        journal = [e for tid, e in self.journal.items() if tid in rows or tid not in self.staged]
        found = reconcile(
            [_facts(row) for row in rows.values()], journal, day, scope.cutoff_utc, tolerance,
            history=self._history(day, set(rows)),
        )  # fmt: skip
        results = self._day(day)
        for item in found:
            row = rows.get(item.transaction_id)
            where = row.transaction if row is not None else self.journal[item.transaction_id]
            results.items[item.transaction_id] = _item(day, item, where)

    # --- fraud screen --------------------------------------------------------------------
    def purchase_groups(
        self, key: str, span: Span, narrowing: Narrowing | None
    ) -> Iterator[list[StagedTransaction]]:
        del narrowing  # every group is screened here: the pre-filter never changes a flag
        return self._groups(lambda t: str(getattr(t, key)), span)

    def burst_groups(
        self, span: Span, window_s: int, max_count: int
    ) -> Iterator[list[StagedTransaction]]:
        del window_s, max_count  # every terminal: a superset of the candidates
        return self._groups(lambda t: t.terminal_id, span)

    def _groups(
        self, key: Callable[[StagedTransaction], str], span: Span
    ) -> Iterator[list[StagedTransaction]]:
        purchases = sorted(
            (
                row.transaction
                for row in self.staged.values()
                if row.transaction.transaction_type is TransactionType.PURCHASE
                and span[0] <= row.transaction.business_date <= span[1]
            ),
            key=lambda t: (key(t), t.transacted_at, t.transaction_id),
        )
        for _, grouped in groupby(purchases, key=key):
            group = list(grouped)
            if any(t.business_date == span[1] for t in group):
                yield group

    def groups_holding(
        self, key: str, span: Span, ids: Sequence[str]
    ) -> Iterator[list[StagedTransaction]]:
        wanted = set(ids)
        for group in self._groups(lambda t: str(getattr(t, key)), span):
            if any(t.transaction_id in wanted and t.business_date == span[1] for t in group):
                yield group

    def record_fraud(
        self, run_date: date, flags: list[FraudFlag], decisions: Mapping[str, FraudDecision]
    ) -> None:
        results = self._day(run_date)
        results.flags = list(flags)
        results.decisions = dict(decisions)

    def hold_decided(self, run_date: date, action: str, reason: str) -> int:
        decisions = self._day(run_date).decisions
        return _hold(
            self._settling(run_date),
            lambda i: (
                i.transaction_id in decisions and str(decisions[i.transaction_id].action) == action
            ),
            reason,
        )

    def exported_snapshot(self) -> str | None:
        return None

    def purchases_at_least(self, run_date: date, count: int) -> bool:
        return False  # another process cannot see this store: the run screens here

    def purchase_ids(self, run_date: date) -> Iterable[str]:
        return [
            tid
            for tid, row in self.staged.items()
            if row.transaction.business_date == run_date
            and row.transaction.transaction_type is TransactionType.PURCHASE
        ]

    def purchases_by_id(self, run_date: date, ids: Sequence[str]) -> Iterator[StagedTransaction]:
        for tid in ids:
            row = self.staged.get(tid)
            tx = None if row is None else row.transaction
            if (
                tx
                and tx.business_date == run_date
                and tx.transaction_type is TransactionType.PURCHASE
            ):
                yield tx

    # --- FX ------------------------------------------------------------------------------
    def imported_rates(self, until: date) -> dict[str, StoredRates]:
        found = {c: [row for row in rows if row[0] <= until] for c, rows in self.rates.items()}
        return {c: history for c, history in found.items() if history}

    def published_rates(self, currency: str) -> RateHistory:
        if self.published is None:
            return ecb_history(currency)
        return self.published.get(currency, [])

    def published_currencies(self) -> tuple[str, ...]:
        return ecb_currencies() if self.published is None else tuple(sorted(self.published))

    def currency_pairs(self, run_date: date) -> list[tuple[str, str | None, int]]:
        largest: dict[tuple[str, str | None], int] = {}
        for item in self._settling(run_date):
            terms = self.merchants.get(item.merchant_id)
            key = (item.currency, None if terms is None else terms.settlement_currency)
            largest[key] = max(largest.get(key, 0), item.staged_amount_minor or 0)
        return [(source, target, amount) for (source, target), amount in largest.items()]

    def hold_unknown_merchant(self, run_date: date, currency: str, reason: str) -> int:
        return _hold(
            self._settling(run_date),
            lambda i: i.currency == currency and i.merchant_id not in self.merchants,
            reason,
        )

    def hold_no_rate(
        self, run_date: date, currency: str, settlement_currency: str, reason: str, detail: str
    ) -> int:
        def pair(item: Item) -> bool:
            terms = self.merchants.get(item.merchant_id)
            return (
                item.currency == currency
                and terms is not None
                and terms.settlement_currency == settlement_currency
            )

        return _hold(self._settling(run_date), pair, reason, detail)

    def record_rate(self, run_date: date, rate: CrossRate, minor_rate: Fraction) -> None:
        del minor_rate  # `price_line` converts with the rate itself: the same number
        self._day(run_date).rates[(rate.from_currency, rate.to_currency)] = rate

    # --- settle --------------------------------------------------------------------------
    def settle(self, run_date: date, fx_markup_bps: int) -> None:
        results = self._day(run_date)
        for item in self._settling(run_date):
            terms = self.merchants[item.merchant_id]
            rate = results.rates.get((item.currency, terms.settlement_currency))
            if rate is None:  # as the SQL join: no line, which conservation then reports
                continue
            amount = Money(item.staged_amount_minor or 0, item.currency)
            results.lines.append(
                price_line(
                    item.transaction_id, item.transaction_type, amount, terms=terms, rate=rate,
                    fx_markup_bps=fx_markup_bps,
                )
            )  # fmt: skip
        results.payouts = carry_debits(net(results.lines), self._passed_on(run_date))
        results.totals = self._totals(run_date)

    def _latest_payouts(self, until: date) -> dict[tuple[str, str], Payout]:
        """Each merchant and currency's latest payout of a date up to `until`."""
        latest: dict[tuple[str, str], Payout] = {}
        for day in sorted(d for d in self.results if d <= until):
            latest.update(self.results[day].payouts)
        return latest

    def _passed_on(self, run_date: date) -> dict[tuple[str, str], int]:
        """The debit each merchant's latest payout before `run_date` passed on."""
        earlier = self._latest_payouts(run_date - timedelta(days=1))
        return {key: p.carried_out_minor for key, p in earlier.items()}

    def _totals(self, run_date: date) -> list[tuple[str, str, str, int, int, int]]:
        """Journal vs staged per terminal and per merchant, with the difference."""
        found = []
        for level in ("terminal", "merchant"):
            sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
            for item in self._items(run_date):
                if item.staged_amount_minor is not None:
                    sums[(_key(item, level), item.currency)][1] += item.staged_amount_minor
            for entry in self.journal.values():
                if entry.business_date == run_date:
                    key = (_key(entry, level), entry.amount.currency)
                    sums[key][0] += entry.amount.amount_minor
            found += [(level, k, c, j, s, j - s) for (k, c), (j, s) in sums.items()]
        return found

    # --- the ledger and its checks -------------------------------------------------------
    def settled_flows(self, run_date: date) -> list[SettledFlow]:
        sums: dict[tuple[TransactionType, str, str], list[int]] = defaultdict(lambda: [0] * 4)
        for line in self._day(run_date).lines:
            key = (line.transaction_type, line.original.currency, line.converted.currency)
            total = sums[key]
            total[0] += line.original.amount_minor
            total[1] += line.converted.amount_minor
            total[2] += line.fee.amount_minor
            total[3] += line.fx_markup.amount_minor
        return [SettledFlow(*key, *total) for key, total in sorted(sums.items())]

    def paid_out(self, run_date: date) -> dict[str, Paid]:
        sums: dict[str, list[int]] = defaultdict(lambda: [0] * 5)
        for (_, currency), p in self._day(run_date).payouts.items():
            parts = (p.due_minor, p.fees_minor, p.fx_markup_minor, p.carried_in_minor,
                     p.carried_out_minor)  # fmt: skip
            sums[currency] = [a + b for a, b in zip(sums[currency], parts, strict=True)]
        return {currency: (t[0], t[1], t[2], t[3], t[4]) for currency, t in sums.items()}

    def carried_flows(self, run_date: date) -> list[CarriedFlow]:
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for (_, currency), p in self._day(run_date).payouts.items():
            sums[currency][0] += p.carried_in_minor
            sums[currency][1] += p.carried_out_minor
        return [CarriedFlow(c, taken, passed) for c, (taken, passed) in sorted(sums.items())]

    def carry_links(self, run_date: date) -> list[CarryLink]:
        passed = self._latest_payouts(run_date)
        links: dict[tuple[str, str], CarryLink] = {}
        for day in sorted((d for d in self.results if d > run_date), reverse=True):
            for key, p in self.results[day].payouts.items():  # the earliest later date wins
                before = passed.get(key)
                out = 0 if before is None else before.carried_out_minor
                links[key] = CarryLink(*key, out, p.carried_in_minor, day.isoformat())
        return [links[key] for key in sorted(links)]

    def parked_flows(self, run_date: date) -> list[SuspenseFlow]:
        sums: dict[tuple[str, TransactionType, str], int] = defaultdict(int)
        for item in self._items(run_date):
            if item.staged_amount_minor is not None and item.outcome in (
                Outcome.HELD,
                Outcome.EXCEPTION,
            ):
                key = (str(item.outcome), item.transaction_type, item.currency)
                sums[key] += item.staged_amount_minor
        return [SuspenseFlow(*key, total) for key, total in sorted(sums.items())]

    def staged_by_currency(self, scope: Scope) -> dict[str, int]:
        sums: dict[str, int] = defaultdict(int)
        for row in self._in_scope(scope):
            sums[row.transaction.currency] += row.transaction.amount_minor
        return dict(sums)

    def unsettled_by_currency(self, run_date: date) -> list[tuple[str, str, int]]:
        sums: dict[tuple[str, str], int] = defaultdict(int)
        for item in self._items(run_date):
            if item.staged_amount_minor is not None and item.outcome is not Outcome.SETTLED:
                sums[(item.currency, str(item.outcome))] += item.staged_amount_minor
        return [(currency, outcome, total) for (currency, outcome), total in sums.items()]

    def settled_refunds(self, run_date: date) -> list[SettledRefunds]:
        groups: dict[tuple[Any, ...], list[SettlementLine]] = defaultdict(list)
        for line in self._day(run_date).lines:
            if line.transaction_type is TransactionType.REFUND:
                oid = self.staged[line.transaction_id].transaction.original_transaction_id
                groups[(oid, line.merchant_id, line.original.currency)].append(line)
        voided, elsewhere = self._voided(), self._refunded_elsewhere(run_date)
        return [
            SettledRefunds(
                min(line.transaction_id for line in lines),
                oid,
                merchant,
                currency,
                sum(line.original.amount_minor for line in lines),
                self._original(oid),
                oid in voided,
                elsewhere.get(oid, 0),
            )  # fmt: skip
            for (oid, merchant, currency), lines in groups.items()
        ]

    def voids(self, run_date: date) -> tuple[list[Void], list[tuple[str, str]]]:
        items = self._day(run_date).items
        elsewhere = self._refunded_elsewhere(run_date)
        found, named = [], set()
        for item in items.values():
            if item.outcome is not Outcome.REVERSED:
                continue
            if item.transaction_type is not TransactionType.REVERSAL:
                continue
            oid = item.original_transaction_id
            named.add(oid)
            here = items.get(oid or "")
            voided = here is not None and here.outcome is Outcome.REVERSED
            reversal = facts_of(_facts(self.staged[item.transaction_id]))
            refunded = elsewhere.get(oid, 0)
            found.append(Void(reversal, oid, self._original(oid), voided, refunded))
        unvoided = sorted(
            (i.transaction_id, i.currency)
            for i in items.values()
            if i.outcome is Outcome.REVERSED
            and i.transaction_type is not TransactionType.REVERSAL
            and i.transaction_id not in named
        )
        return found, unvoided

    def _original(self, oid: str | None) -> TransactionFacts | None:
        """The named original: the staged row (any date), else its journal line."""
        if oid is None:
            return None
        if oid in self.staged:
            return facts_of(_facts(self.staged[oid]))
        entry = self.journal.get(oid)
        return None if entry is None else facts_of(entry)

    def _voided(self) -> set[str]:
        """Ids of the items any run marked reversed."""
        return {
            item.transaction_id
            for results in self.results.values()
            for item in results.items.values()
            if item.recon_class is ReconClass.REVERSED
        }

    def _refunded_elsewhere(self, run_date: date) -> dict[str | None, int]:
        """What runs of other dates settled in refunds, per named original."""
        refunded: dict[str | None, int] = defaultdict(int)
        for day, results in self.results.items():
            for item in results.items.values():
                oid = item.original_transaction_id
                if day != run_date and _settled_refund(item) and oid is not None:
                    refunded[oid] += item.staged_amount_minor or 0
        return refunded

    def write_ledger(self, run_date: date, postings: list[Posting]) -> None:
        self._day(run_date).ledger = list(postings)

    # --- closing -------------------------------------------------------------------------
    def age_open_items(self, run_date: date) -> None:
        arrived = {
            i.transaction_id for i in self._items(run_date) if i.staged_amount_minor is not None
        }
        earlier = [i for d, r in self.results.items() if d <= run_date for i in r.items.values()]
        for item in earlier:
            if item.run_date < run_date and _is_open(item) and item.outcome is Outcome.NOT_STAGED:
                if item.transaction_id in arrived:
                    item.resolved_on = run_date
        for item in earlier:
            if _is_open(item):
                item.age_business_days = business_days_between(item.business_date, run_date)

    def counts(self, run_date: date) -> dict[str, Any]:
        items = self._items(run_date)
        classes = Counter(str(i.recon_class) for i in items)
        ends = (Outcome.HELD, Outcome.SETTLED, Outcome.REVERSED)
        outcomes = Counter(i.reason or str(i.outcome) for i in items if i.outcome in ends)
        results = self._day(run_date)
        return {
            "classes": dict(sorted(classes.items())),
            "outcomes": dict(sorted(outcomes.items())),
            "settlement_lines": len(results.lines),
            "payouts": len(results.payouts),
        }

    def payout_totals(self, run_date: date) -> dict[str, dict[str, int]]:
        totals: dict[str, dict[str, int]] = {}
        for (_, currency), p in sorted(
            self._day(run_date).payouts.items(), key=lambda kv: kv[0][1]
        ):
            sums = totals.setdefault(currency, dict.fromkeys(_PAYOUT_TOTALS, 0))
            sums["payout_minor"] += p.payout_minor
            sums["fees_minor"] += p.fees_minor
            sums["fx_markup_minor"] += p.fx_markup_minor
            sums["merchant_debits"] += int(p.is_debit)
            sums["carried_in_minor"] += p.carried_in_minor
            sums["carried_out_minor"] += p.carried_out_minor
        return totals

    def complete(self, run_date: date, run_id: str, now: datetime, summary: dict[str, Any]) -> bool:
        self.completed[run_date] = summary
        return True


def _facts(row: StagedRow) -> StagedFacts:
    t = row.transaction
    return StagedFacts(
        t.transaction_id, t.transaction_type, t.original_transaction_id, t.merchant_id,
        t.terminal_id, t.card_last4, t.amount, t.transacted_at, row.sent_at, t.business_date,
    )  # fmt: skip


def _item(run_date: date, found: ReconItem, where: StagedTransaction | JournalEntry) -> Item:
    """The domain's item as a row: its class, outcome and reason as the domain decides them."""
    return Item(
        run_date, found.transaction_id, found.journal_transaction_id, where.business_date,
        where.merchant_id, where.terminal_id, found.transaction_type,
        found.original_transaction_id, found.currency, found.staged_amount_minor,
        found.journal_amount_minor, found.recon_class, found.match_method, found.outcome,
        found.reason,
    )  # fmt: skip


def _hold(
    items: Iterable[Item], which: Callable[[Item], bool], reason: str, detail: str | None = None
) -> int:
    held = 0
    for item in items:
        if which(item):
            item.outcome, item.reason, item.reason_detail = Outcome.HELD, reason, detail
            held += 1
    return held


def _settled_refund(item: Item) -> bool:
    return item.outcome is Outcome.SETTLED and item.transaction_type is TransactionType.REFUND


def _is_open(item: Item) -> bool:
    return item.outcome in OPEN_OUTCOMES and item.resolved_on is None


def _key(row: Item | JournalEntry, level: str) -> str:
    return row.terminal_id if level == "terminal" else row.merchant_id
