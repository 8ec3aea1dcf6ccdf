"""The page's counts and sums over a date's reconciliation items and settlement lines,
tallied from the same chunks that write reconciliation.csv and settlement.csv.

Why not GROUP BY: SQLite groups by sorting, so each aggregate over a 1M-transaction day's
rows cost a sort of a million rows. Measured on a copy of a 1M SQLite day (CPU s): the
settled flows 3.5, the FX pairs' lines 3.1, the four counts over reconciliation items 1.6
(by type, by currency, unsettled by currency, by class and outcome). The CSV files read
every one of those rows anyway, so the report counts them as they pass: ~0.4-0.5 us a row
in Python, and no second read of either table.

The keys and sums are the ones the GROUP BY queries the page used before return (kept as
the tests' oracle in `tests/support/grouped_reads.py`, with the end of day's
`settlement.adapters.books.settled_flows`); a differential test holds the two equal on
both backends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from settlement.adapters.report_reads.records import ReconItem, SettlementLine
from settlement.domain.ledger import SettledFlow
from settlement.domain.recon_classes import Outcome
from settlement.domain.transactions import TransactionType

Chunk = Sequence[Any]
# (transaction type, currency, staged minor, recon class, outcome) of a reconciliation item
_ITEM_KEY = itemgetter(*(ReconItem._fields.index(name) for name in (
    "transaction_type", "currency", "staged_amount_minor", "recon_class", "outcome")))  # fmt: skip
# (type, original currency, settlement currency, original, converted, fee, fx markup)
_LINE_KEY = itemgetter(*(SettlementLine._fields.index(name) for name in (
    "transaction_type", "original_currency", "settlement_currency", "original_amount_minor",
    "converted_amount_minor", "fee_minor", "fx_markup_minor")))  # fmt: skip
SETTLED = Outcome.SETTLED.value


@dataclass(slots=True)
class ItemTally:
    """Reconciliation items per (type, currency, class, outcome, staged?): how many and,
    for those that hold staged money, its sum in minor units."""

    groups: dict[tuple[str, str, str, str, bool], list[int]] = field(default_factory=dict)

    def add(self, chunk: Chunk) -> None:
        groups = self.groups
        for kind, currency, staged_minor, recon_class, outcome in map(_ITEM_KEY, chunk):
            key = (kind, currency, recon_class, outcome, staged_minor is not None)
            found = groups.get(key)
            if found is None:
                groups[key] = [1, staged_minor or 0]
            else:
                found[0] += 1
                if staged_minor is not None:
                    found[1] += staged_minor

    def merge(self, other: ItemTally) -> None:
        """Add the items `other` tallied (another process's share of the files)."""
        _add_groups(self.groups, other.groups)

    def staged_by_type(self) -> dict[str, int]:
        """Staged items per transaction type (types with none are absent)."""
        found: dict[str, int] = defaultdict(int)
        for (kind, _c, _k, _o, staged), (count, _m) in self.groups.items():
            if staged:
                found[kind] += count
        return dict(found)

    def staged_by_currency(self) -> list[tuple[str, int, int]]:
        """(currency, staged items, staged minor units) per currency, by currency."""
        found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for (_t, currency, _k, _o, staged), (count, minor) in self.groups.items():
            if staged:
                found[currency][0] += count
                found[currency][1] += minor
        return [(currency, n, minor) for currency, (n, minor) in sorted(found.items())]

    def unsettled_by_currency(self) -> list[tuple[str, str, int]]:
        """(currency, outcome, staged minor units) of the staged items not settled."""
        found: dict[tuple[str, str], int] = defaultdict(int)
        for (_t, currency, _k, outcome, staged), (_n, minor) in self.groups.items():
            if staged and outcome != SETTLED:
                found[currency, outcome] += minor
        return [(currency, outcome, minor) for (currency, outcome), minor in sorted(found.items())]

    def class_counts(self) -> list[tuple[str, str, int]]:
        """(recon class, outcome, items), by class then outcome in code-point order."""
        found: dict[tuple[str, str], int] = defaultdict(int)
        for (_t, _c, recon_class, outcome, _s), (count, _m) in self.groups.items():
            found[recon_class, outcome] += count
        return [(c, o, n) for (c, o), n in sorted(found.items())]


@dataclass(slots=True)
class LineTally:
    """Settlement lines per (type, original currency, settlement currency): how many, and
    their original, converted, fee and FX markup sums in minor units."""

    groups: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)

    def add(self, chunk: Chunk) -> None:
        groups = self.groups
        for kind, src, dst, original, converted, fee, markup in map(_LINE_KEY, chunk):
            found = groups.get((kind, src, dst))
            if found is None:
                groups[kind, src, dst] = [1, original, converted, fee, markup]
            else:
                found[0] += 1
                found[1] += original
                found[2] += converted
                found[3] += fee
                found[4] += markup

    def merge(self, other: LineTally) -> None:
        """Add the lines `other` tallied (another process's share of the files)."""
        _add_groups(self.groups, other.groups)

    def settled_flows(self) -> list[SettledFlow]:
        """As `settlement.adapters.books.settled_flows`: by type, then currency pair."""
        return [
            SettledFlow(TransactionType(kind), src, dst, *sums)
            for (kind, src, dst), (_n, *sums) in sorted(self.groups.items())
        ]

    def by_pair(self) -> dict[tuple[str, str], tuple[int, int, int]]:
        """(lines, original minor, converted minor) per (original, settlement) currency."""
        found: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        for (_kind, src, dst), (count, original, converted, _f, _m) in self.groups.items():
            sums = found[src, dst]
            sums[0] += count
            sums[1] += original
            sums[2] += converted
        return {pair: (n, o, c) for pair, (n, o, c) in found.items()}


@dataclass(slots=True)
class DayTallies:
    """Both tallies of a date, fed by the CSV files' chunks (`observers`)."""

    items: ItemTally = field(default_factory=ItemTally)
    lines: LineTally = field(default_factory=LineTally)

    def observers(self) -> Mapping[str, Callable[[Chunk], None]]:
        """CSV file name -> what sees each of its chunks of read-model tuples."""
        return {"reconciliation.csv": self.items.add, "settlement.csv": self.lines.add}

    def merge(self, other: DayTallies) -> None:
        """Add what `other` tallied: the files one process wrote beside this one's."""
        self.items.merge(other.items)
        self.lines.merge(other.lines)

    def feed(self, items: Iterable[Chunk], lines: Iterable[Chunk]) -> DayTallies:
        """Tally the two streams without writing files (a page gathered on its own)."""
        for chunk in items:
            self.items.add(chunk)
        for chunk in lines:
            self.lines.add(chunk)
        return self


def _add_groups(into: dict[Any, list[int]], more: Mapping[Any, list[int]]) -> None:
    """Each group's counts and sums added, position by position."""
    for key, sums in more.items():
        found = into.get(key)
        if found is None:
            into[key] = list(sums)
        else:
            into[key] = [a + b for a, b in zip(found, sums, strict=True)]
