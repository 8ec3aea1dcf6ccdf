"""Staged purchases as the fraud screen reads them: raw driver rows, and the domain value.

The driver's tuple is the SQL store's (settlement/adapters/eod_store.py) own shape, so it is
defined here, beside the statements that produce it; the fraud step and its pre-filter
read the same tuples positionally (`FIELDS` names the positions).

The screen streams a million rows twice (by card, by terminal), so rows stay the driver's
tuples until a group is actually screened; `builder` turns one into a `StagedTransaction`
positionally, the cheapest way there is. SQLite returns the ISO text SQLAlchemy stored for
dates and datetimes, PostgreSQL native values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from settlement.domain.transactions import EntryMode, StagedTransaction, TransactionType

FIELDS = (
    "transaction_id", "transaction_type", "original_transaction_id", "merchant_id",
    "terminal_id", "card_token", "card_bin", "card_last4", "card_brand", "card_country",
    "merchant_country", "mcc", "entry_mode", "amount_minor", "currency", "local_time",
    "utc_offset_min", "transacted_at", "business_date",
)  # fmt: skip
ID = FIELDS.index("transaction_id")
COUNTRY = FIELDS.index("merchant_country")
MCC = FIELDS.index("mcc")
MODE = FIELDS.index("entry_mode")
AMOUNT = FIELDS.index("amount_minor")
CURRENCY = FIELDS.index("currency")
AT = FIELDS.index("transacted_at")
DAY = FIELDS.index("business_date")

Raw = Sequence[Any]
_TYPES = {kind.value: kind for kind in TransactionType}
_MODES = {mode.value: mode for mode in EntryMode}


def _from_postgresql(row: Raw) -> StagedTransaction:
    values = list(row)
    values[1] = _TYPES[values[1]]
    values[MODE] = _MODES[values[MODE]]
    return StagedTransaction(*values)


def _from_sqlite(row: Raw) -> StagedTransaction:
    """Parse the stored ISO text as SQLAlchemy's SQLite types would."""
    values = list(row)
    values[1] = _TYPES[values[1]]
    values[MODE] = _MODES[values[MODE]]
    values[15] = datetime.fromisoformat(values[15])
    values[AT] = datetime.fromisoformat(values[AT])
    values[DAY] = date.fromisoformat(values[DAY])
    return StagedTransaction(*values)


def _same(value: Any) -> Any:
    return value


def builder(dialect: str) -> Callable[[Raw], StagedTransaction]:
    return _from_sqlite if dialect == "sqlite" else _from_postgresql


def time_parser(dialect: str) -> Callable[[Any], datetime]:
    """transacted_at of a raw row as a datetime."""
    return datetime.fromisoformat if dialect == "sqlite" else _same


# (the group's raw rows, which of them are of the screened date, how to read their times):
# may an enabled rule flag this group?
GroupTest = Callable[[Sequence[Raw], Sequence[bool], Callable[[Any], datetime]], bool]


@dataclass(frozen=True, slots=True)
class Narrowing:
    """How the store may skip groups: read only `columns` first (the others NULL), and
    re-read whole only the groups `may_hit` cannot rule out (a sound pre-filter)."""

    columns: frozenset[str]
    may_hit: GroupTest
