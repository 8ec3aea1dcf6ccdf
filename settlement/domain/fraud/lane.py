"""The asynchronous fraud lane: the end of day's rulebook, screened per purchase as it is staged.

Why: the batch screens a business date once, after its cutoff, so a stolen card used at
09:00 is held at 22:00. The lane runs the SAME rulebook (`Rulebook.card_checks` and
`terminal_checks` through `screen_card` / `screen_terminal`, the same `decide` and
thresholds) each time a purchase arrives, re-screening only the arriving purchase's card
group and terminal group, and records when each transaction became held.

Agreement, by construction: a group here holds exactly what the batch reads for the date
(the purchases of the card or terminal with a business date in the look-back span, in
`(transacted_at, transaction_id)` order, whatever order they arrived in), so once every
purchase of the day has arrived the lane's flags and decisions are the batch's.
tests/integration/test_fraud_lane_agreement.py and tests/unit/test_fraud_lane.py hold them
equal on a generated day and under shuffled arrival orders.

Why the state is pruned by business date and not by each rule's time horizon: the
compromised-terminal baseline reads the terminal's whole look-back day ("its usual rush"),
and impossible travel's reason text depends on the order the card first visited each
country, so a group cut to a 30-minute horizon would change flags. History before the span
(`card_lookback_days` / `terminal_lookback_days` before the date, as the batch loads it) is
never kept.

Provisional holds: a rule that reads the whole day (the busy-till baseline rises as the
day fills) can hold a purchase on an early arrival and release it on a later one. The lane
reports both (`LaneChange.released`, `released_total`); `held_at` keeps only the holds that
stood to the end, stamped with the arrival that made them.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from settlement.domain.fraud.activity import ToEur
from settlement.domain.fraud.bound import ROW_FIELDS, RawGroup
from settlement.domain.fraud.decision import decide
from settlement.domain.fraud.model import FraudDecision, FraudFlag
from settlement.domain.fraud.rulebook import ActiveRule, Rulebook
from settlement.domain.fraud.screening import screen_card, screen_terminal
from settlement.domain.transactions import StagedTransaction, TransactionType

_Key = tuple[datetime, str]


@dataclass(frozen=True, slots=True)
class LaneChange:
    """What one arrival changed: transactions it made held (with their decisions) and held
    transactions it released (a later purchase raised a baseline, say)."""

    transaction_id: str
    held: tuple[FraudDecision, ...] = ()
    released: tuple[str, ...] = ()


@dataclass(slots=True)
class _Group:
    """One card's (terminal's) purchases in the batch's order, and their current flags."""

    keys: list[_Key] = field(default_factory=list)
    purchases: list[StagedTransaction] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)  # the bound's raw rows
    today: list[bool] = field(default_factory=list)  # of the business date
    eur: list[int | None] = field(default_factory=list)  # converted once, on arrival
    flags: dict[str, list[FraudFlag]] = field(default_factory=dict)  # by transaction id

    def insert(
        self, tx: StagedTransaction, row: tuple[Any, ...], eur: int | None, today: bool
    ) -> None:
        """Where it belongs in transaction time: arrival order is not transaction order."""
        key = (tx.transacted_at, tx.transaction_id)
        at = bisect.bisect_right(self.keys, key)
        self.keys.insert(at, key)
        self.purchases.insert(at, tx)
        self.rows.insert(at, row)
        self.eur.insert(at, eur)
        self.today.insert(at, today)


class _KnownEur(RawGroup):
    """A group's raw rows for the bounds, with the EUR amounts the lane converted on arrival
    (the base class would convert the whole group again on every arrival)."""

    __slots__ = ("_known",)

    def __init__(self, group: _Group, to_eur: ToEur) -> None:
        super().__init__(group.rows, group.today, to_eur, _same)
        self._known = group.eur

    @property
    def eur(self) -> list[int | None]:
        return self._known


@dataclass(slots=True)
class LaneCounters:
    """The lane's work, for the lesson's compute figures."""

    arrivals: int = 0
    screened_groups: int = 0
    screened_purchases: int = 0
    skipped_groups: int = 0  # every enabled rule's bound ruled the group out


def _same(value: Any) -> Any:
    return value


class FraudLane:
    """Screens one business date's purchases as they arrive; see the module docstring."""

    def __init__(
        self,
        business_date: date,
        rulebook: Rulebook,
        to_eur: ToEur,
        history: Iterable[StagedTransaction] = (),
        *,
        use_bounds: bool = True,
    ) -> None:
        self.business_date = business_date
        self.rulebook, self.to_eur = rulebook, to_eur
        self._card_from = business_date - timedelta(days=rulebook.card_lookback_days)
        self._terminal_from = business_date - timedelta(days=rulebook.terminal_lookback_days)
        self._card_bound = _bound(rulebook.card_rules) if use_bounds else None
        self._terminal_bound = _bound(rulebook.terminal_rules) if use_bounds else None
        self._cards: dict[str, _Group] = {}
        self._terminals: dict[str, _Group] = {}
        self._seen: dict[str, tuple[_Group | None, _Group | None]] = {}  # id -> its groups
        self.decisions: dict[str, FraudDecision] = {}
        self.held_at: dict[str, datetime] = {}  # transaction id -> arrival that held it
        self.released_total = 0  # provisional holds a later arrival withdrew
        self.counters = LaneCounters()
        for tx in history:
            if tx.business_date < business_date:
                self._store(tx)

    @property
    def flags(self) -> list[FraudFlag]:
        """Every current flag of the business date's purchases (cards first, as the batch)."""
        groups = (*self._cards.values(), *self._terminals.values())
        return [flag for group in groups for flags in group.flags.values() for flag in flags]

    def observe(self, tx: StagedTransaction, arrived_at: datetime) -> LaneChange:
        """Take one staged transaction at its arrival time; re-screen its card and terminal.

        Refunds and reversals are never screened (see `activity`); a purchase of another
        date only joins the history the date's groups read; a redelivery changes nothing."""
        if tx.transaction_id in self._seen or tx.transaction_type is not TransactionType.PURCHASE:
            return LaneChange(tx.transaction_id)
        self.counters.arrivals += 1
        card, terminal = self._store(tx)
        if not (card or terminal):
            return LaneChange(tx.transaction_id)
        touched: set[str] = set()
        if card is not None:
            touched |= self._rescreen(card, self._screen_card, self._card_bound)
        if terminal is not None:
            touched |= self._rescreen(terminal, self._screen_terminal, self._terminal_bound)
        return self._decide(tx, touched, arrived_at)

    def _store(self, tx: StagedTransaction) -> tuple[_Group | None, _Group | None]:
        """Add `tx` to the groups whose look-back span holds its date; the groups to
        re-screen (only those with a purchase of the business date: the batch's groups)."""
        day = tx.business_date
        if day > self.business_date:
            self._seen[tx.transaction_id] = (None, None)
            return None, None
        row = tuple(getattr(tx, name) for name in ROW_FIELDS)
        eur = RawGroup([row], [True], self.to_eur, _same).eur[0]  # as the bounds convert
        today = day == self.business_date
        card = terminal = None
        if day >= self._card_from:
            card = self._cards.setdefault(tx.card_token, _Group())
            card.insert(tx, row, eur, today)
        if day >= self._terminal_from and self.rulebook.terminal_checks:
            terminal = self._terminals.setdefault(tx.terminal_id, _Group())
            terminal.insert(tx, row, eur, today)
        self._seen[tx.transaction_id] = (card, terminal)
        return _screened(card), _screened(terminal)

    def _screen_card(self, purchases: Sequence[StagedTransaction]) -> list[FraudFlag]:
        return screen_card(purchases, self.business_date, self.rulebook, self.to_eur)

    def _screen_terminal(self, purchases: Sequence[StagedTransaction]) -> list[FraudFlag]:
        return screen_terminal(purchases, self.business_date, self.rulebook)

    def _rescreen(
        self,
        group: _Group,
        screen: Callable[[Sequence[StagedTransaction]], list[FraudFlag]],
        bound: Callable[[RawGroup], bool] | None,
    ) -> set[str]:
        """Replace the group's flags; the ids whose flags may have changed."""
        before = set(group.flags)
        group.flags = {}
        if bound is not None and not bound(_KnownEur(group, self.to_eur)):
            self.counters.skipped_groups += 1
            return before
        self.counters.screened_groups += 1
        self.counters.screened_purchases += len(group.purchases)
        for flag in screen(group.purchases):
            group.flags.setdefault(flag.transaction_id, []).append(flag)
        return before | set(group.flags)

    def _decide(self, tx: StagedTransaction, touched: set[str], arrived_at: datetime) -> LaneChange:
        """Re-decide the touched transactions from their card's and terminal's flags."""
        held: list[FraudDecision] = []
        released: list[str] = []
        for tid in sorted(touched):
            flags = [
                flag for group in self._seen[tid] if group for flag in group.flags.get(tid, ())
            ]
            was = self.decisions.get(tid)
            now = decide(flags, self.rulebook).get(tid)
            self._set(tid, now)
            if now is not None and now.held and not (was is not None and was.held):
                self.held_at[tid] = arrived_at
                held.append(now)
            elif was is not None and was.held and not (now is not None and now.held):
                self.held_at.pop(tid, None)
                self.released_total += 1
                released.append(tid)
        return LaneChange(tx.transaction_id, tuple(held), tuple(released))

    def _set(self, transaction_id: str, decision: FraudDecision | None) -> None:
        if decision is None:
            self.decisions.pop(transaction_id, None)
        else:
            self.decisions[transaction_id] = decision


def _screened(group: _Group | None) -> _Group | None:
    """A group the batch screens: one with a purchase of the business date."""
    return group if group is not None and any(group.today) else None


def _bound(rules: Sequence[ActiveRule]) -> Callable[[RawGroup], bool] | None:
    """Every enabled rule's `bound`, combined as the end of day's pre-filter combines them:
    None (screen every group) unless each rule declares one."""
    bounds = []
    for rule in rules:
        if rule.spec.bound is None:
            return None
        bounds.append((rule.spec.bound.may_flag, rule.params))

    def may_hit(group: RawGroup) -> bool:
        return any(may_flag(group, params) for may_flag, params in bounds)

    return may_hit
