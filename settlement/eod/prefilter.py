"""A sound pre-filter for the fraud screen: skip a card (terminal) no enabled rule can flag.

Why: building a `StagedTransaction` per purchase and running the rulebook per card cost
~10 us a purchase, and on a normal day most cards (terminals) trip nothing. Each bound below
restates, on the raw rows, an early exit or the hit condition of one rule, with that rule's
own parameters, so `may_hit(group) is False` implies the screen returns no flag for it.
The bounds are tied to the check functions they were derived from: a rulebook with any
rule not listed here (a new rule, a replaced check) screens every group of that kind, so
every rulebook stays exact. tests/unit/test_eod_prefilter.py checks the implication on
generated groups and rulebooks; tests/integration/test_eod_perf_equivalence.py holds the
stored flags equal with and without the filter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from settlement.domain.fraud import RateTableToEur, Rulebook, ToEur
from settlement.domain.fraud.rules import (
    amount_spike,
    card_testing,
    compromised_terminal,
    high_risk_mcc_night,
    impossible_travel,
    over_limit,
    spend_velocity,
    velocity,
)
from settlement.domain.fraud.window import may_exceed
from settlement.domain.money import Money
from settlement.eod.purchase_rows import AMOUNT, AT, COUNTRY, CURRENCY, MCC, MODE, Raw


class RawGroup:
    """One card's (terminal's) raw purchases, oldest first; EUR amounts and times computed
    once, on first use, exactly as `settlement.domain.fraud.activity` computes them."""

    __slots__ = ("_eur", "_parse_time", "_times", "_to_eur", "rows", "today")

    def __init__(
        self,
        rows: Sequence[Raw],
        today: Sequence[bool],
        to_eur: ToEur,
        parse_time: Callable[[Any], datetime],
    ) -> None:
        self.rows, self.today = rows, today
        self._to_eur, self._parse_time = to_eur, parse_time
        self._eur: list[int | None] | None = None
        self._times: list[datetime] | None = None

    @property
    def eur(self) -> list[int | None]:
        if self._eur is None:
            self._eur = [self._eur_minor(row[AMOUNT], row[CURRENCY]) for row in self.rows]
        return self._eur

    def _eur_minor(self, amount_minor: int, currency: str) -> int | None:
        if currency == "EUR":
            return amount_minor
        if isinstance(self._to_eur, RateTableToEur):
            return self._to_eur.eur_minor(amount_minor, currency)
        converted = self._to_eur(Money(amount_minor, currency))
        return None if converted is None else converted.amount_minor

    @property
    def times(self) -> list[datetime]:
        if self._times is None:
            self._times = [self._parse_time(row[AT]) for row in self.rows]
        return self._times


def _over_limit(group: RawGroup, params: over_limit.Params) -> bool:
    limit = params.limit_eur.amount_minor
    for row, today, eur in zip(group.rows, group.today, group.eur, strict=True):
        if not today:
            continue
        if eur is None:
            fallback = params.fallback_limits.get(row[CURRENCY])
            if fallback is not None and row[AMOUNT] > fallback.amount_minor:
                return True
        elif eur > limit:
            return True
    return False


def _velocity(group: RawGroup, params: velocity.Params) -> bool:
    window = timedelta(minutes=params.window_min)
    return len(group.rows) > params.max_count and may_exceed(group.times, window, params.max_count)


def _spend_velocity(group: RawGroup, params: spend_velocity.Params) -> bool:
    known = [eur for eur in group.eur if eur is not None]
    return len(known) >= params.min_count and sum(known) > params.limit_eur.amount_minor


def _card_testing(group: RawGroup, params: card_testing.Params) -> bool:
    ceiling = params.small_amount_eur.amount_minor
    small = sum(1 for eur in group.eur if eur is not None and eur <= ceiling)
    window = timedelta(minutes=params.window_min)
    return small > params.max_count and may_exceed(group.times, window, params.max_count)


def _impossible_travel(group: RawGroup, params: impossible_travel.Params) -> bool:
    # Card-not-present purchases are never compared, so only the others' countries count.
    skip = params.card_not_present_modes
    return len({row[COUNTRY] for row in group.rows if row[MODE] not in skip}) > 1


def _amount_spike(group: RawGroup, params: amount_spike.Params) -> bool:
    if len(group.rows) <= params.min_history:
        return False
    floor = params.min_amount_eur.amount_minor
    return any(
        today and eur is not None and eur >= floor
        for today, eur in zip(group.today, group.eur, strict=True)
    )


def _high_risk_mcc_night(group: RawGroup, params: high_risk_mcc_night.Params) -> bool:
    mccs = params.mccs
    pairs = zip(group.rows, group.today, strict=True)
    return any(today and row[MCC] in mccs for row, today in pairs)


def _compromised_terminal(group: RawGroup, params: compromised_terminal.Params) -> bool:
    window = timedelta(minutes=params.window_min)
    return len(group.rows) > params.max_cards and may_exceed(group.times, window, params.max_cards)


Bound = Callable[[RawGroup, Any], bool]
_EUR = ("amount_minor", "currency")
# check -> (its bound, the columns the bound reads)
_BOUNDS: dict[object, tuple[Bound, tuple[str, ...]]] = {
    over_limit.check: (_over_limit, _EUR),
    velocity.check: (_velocity, ("transacted_at",)),
    spend_velocity.check: (_spend_velocity, _EUR),
    card_testing.check: (_card_testing, (*_EUR, "transacted_at")),
    impossible_travel.check: (_impossible_travel, ("merchant_country", "entry_mode")),
    amount_spike.check: (_amount_spike, _EUR),
    high_risk_mcc_night.check: (_high_risk_mcc_night, ("mcc",)),
    compromised_terminal.check: (_compromised_terminal, ("transacted_at",)),
}
MayHit = Callable[[RawGroup], bool]


@dataclass(frozen=True, slots=True)
class Prefilter:
    """`may_hit` of a group whose rows hold real values only in `columns` (others None):
    the screen reads those narrow rows first, and whole rows only of groups that may hit."""

    may_hit: MayHit
    columns: frozenset[str]


def _prefilter(checks: Sequence[tuple[str, int, Callable[..., Any], Any]]) -> Prefilter | None:
    """None (screen everything) unless every check has a bound."""
    bounds: list[tuple[Bound, Any]] = []
    columns = {"transaction_id", "business_date"}
    for _name, _score, check, params in checks:
        known = _BOUNDS.get(check)
        if known is None:
            return None
        bounds.append((known[0], params))
        columns.update(known[1])

    def may_hit(group: RawGroup) -> bool:
        return any(bound(group, params) for bound, params in bounds)

    return Prefilter(may_hit, frozenset(columns))


def card_filter(rulebook: Rulebook) -> Prefilter | None:
    return _prefilter(rulebook.card_checks)


def terminal_filter(rulebook: Rulebook) -> Prefilter | None:
    return _prefilter(rulebook.terminal_checks)


@dataclass(frozen=True, slots=True)
class BurstBound:
    """The terminal screen's bound in a form SQL can evaluate (`eod_sql.burst_terminals`):
    a terminal may hit only if more than `max_count` purchases fall in one `window_s`."""

    window_s: int
    max_count: int


def terminal_burst_bound(rulebook: Rulebook) -> BurstBound | None:
    """The SQL bound when compromised_terminal is the only terminal check, else None.

    `compromised_terminal.check` returns nothing unless `may_exceed(times, window,
    max_cards)` (its limit is never below max_cards), the same bound as
    `_compromised_terminal` above; any other terminal check has no SQL form yet.
    """
    checks = rulebook.terminal_checks
    if len(checks) != 1 or checks[0][2] is not compromised_terminal.check:
        return None
    params: compromised_terminal.Params = checks[0][3]
    return BurstBound(params.window_min * 60, params.max_cards)
