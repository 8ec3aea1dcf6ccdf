"""A rule's bound: a cheap, sound "may this card (terminal) be flagged?" asked of raw rows.

Why: the end-of-day screen builds a `StagedTransaction` per purchase and runs the rulebook per
card at ~10 us a purchase, and on a normal day most cards (terminals) trip nothing. So each
rule may declare, in its own module beside its check, a `Bound`: the row fields it reads and
`may_flag(group, params)`, a restatement on the raw rows of the check's early exit or hit
condition. The contract: `may_flag(...) is False` implies `check(...)` hits none of the
group's business-date purchases. `settlement.eod.prefilter` skips a group only when every
enabled rule's bound says no; a rule without a bound makes the screen read every group.
tests/unit/test_eod_prefilter.py checks the implication for every registered rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Final, Generic, TypeVar

from settlement.domain.fraud.activity import ToEur
from settlement.domain.fraud.eur import RateTableToEur
from settlement.domain.money import Money
from settlement.domain.transactions import StagedTransaction

P = TypeVar("P")

# A raw row holds a staged purchase's fields in `StagedTransaction`'s order (the order the
# screen reads them in and builds the value from); a field a bound does not read may be None.
ROW_FIELDS: Final = tuple(field.name for field in fields(StagedTransaction))
EUR_FIELDS: Final = ("amount_minor", "currency")  # what `RawGroup.eur` reads
TIME_FIELDS: Final = ("transacted_at",)  # what `RawGroup.times` reads


def row_index(name: str) -> int:
    """Where `name` sits in a raw row; raises ValueError for a field a row does not have."""
    return ROW_FIELDS.index(name)


_AMOUNT, _CURRENCY, _AT = (
    row_index("amount_minor"),
    row_index("currency"),
    row_index("transacted_at"),
)


class RawGroup:
    """One card's (terminal's) raw purchases, oldest first; EUR amounts and times computed
    once, on first use, exactly as `activity.card_activity` computes them."""

    __slots__ = ("_eur", "_parse_time", "_times", "_to_eur", "rows", "today")

    def __init__(
        self,
        rows: Sequence[Sequence[Any]],
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
            self._eur = [self._eur_minor(row[_AMOUNT], row[_CURRENCY]) for row in self.rows]
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
            self._times = [self._parse_time(row[_AT]) for row in self.rows]
        return self._times


@dataclass(frozen=True, slots=True)
class BurstBound:
    """A bound in a form SQL can evaluate (`eod_sql.burst_terminals`): a group may be
    flagged only if more than `max_count` of its purchases fall in one `window_s`."""

    window_s: int
    max_count: int


@dataclass(frozen=True, slots=True)
class Bound(Generic[P]):
    """What a rule declares for the pre-filter: the row fields `may_flag` reads (the others
    arrive as None), the bound itself, and, when the bound is exactly a sliding-window count,
    that count (`burst`), which lets the screen find its candidates in SQL."""

    fields: tuple[str, ...]
    may_flag: Callable[[RawGroup, P], bool]
    burst: Callable[[P], BurstBound] | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.fields) - set(ROW_FIELDS))
        if unknown:
            raise ValueError(f"bound reads {unknown[0]!r}, not a field of a staged purchase")
