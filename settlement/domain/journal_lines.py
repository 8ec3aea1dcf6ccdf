"""A journal.csv line: what a terminal says it did, checked field by field before the end of
day reconciles staged transactions against it.

The same rules as the gateway's for the same facts (id grammar, positive amount under the
message ceiling, plausible local time, a refund or reversal names its original), so a
transaction the gateway accepts is never a journal line the import refuses. Then
`parse_journal_row` builds the entry and derives its business date.

Two paths, one verdict, as for the gateway's messages (`pos_message`): `parse_journal_line`
is the careful path, the rules' home, with a reason for every refusal. The import runs
`JournalLineReader`'s fast path first, once a line: one regex over the joined line (an
ASCII subset of the careful grammar), the checks no pattern makes, and the stored row built
straight from the text (its local_time read once per distinct text, `_local_instants`); at
the first doubt the line goes to the careful path, which decides.
The careful path cost ~60% of a million-line import (cProfile, 100k lines): the amount and
the time parsed twice, the plausibility window placed anew for every line.
tests/unit/test_journal_fast_path.py holds the two paths to one result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo

from settlement.domain.calendar import business_date_of
from settlement.domain.cards import could_hold_pan, holds_pan
from settlement.domain.currencies import is_known_currency
from settlement.domain.file_lines import (
    LineReason,
    LineRejected,
    amount_minor,
    currency_code,
    identifier,
    preview,
    reject_pans,
    required,
)
from settlement.domain.identifiers import (
    SHORT_ID,
    SHORT_ID_PATTERN,
    TRANSACTION_ID,
    TRANSACTION_ID_PATTERN,
)
from settlement.domain.money import AmountFormatError, minor_units
from settlement.domain.plausibility import PlausibleSpan, TimeWindow
from settlement.domain.pos_message import LOCAL_TIME_PATTERN, MAX_AMOUNT_MINOR
from settlement.domain.reconciliation import JournalEntry, JournalFormatError, parse_journal_row
from settlement.domain.transactions import TransactionType

JOURNAL_COLUMNS: Final = (
    "transaction_id", "terminal_id", "merchant_id", "type", "amount", "currency",
    "local_time", "pan_last4", "original_transaction_id",
)  # fmt: skip
_LAST4 = re.compile(r"[0-9]{4}")
_TYPES = " | ".join(kind.value for kind in TransactionType)


def parse_journal_line(
    row: Mapping[str, str], zone: ZoneInfo, cutoff: time, received_at: datetime, window: TimeWindow
) -> JournalEntry:
    """One journal.csv line (values stripped); `received_at` is the import's clock reading
    (naive UTC). Raises `LineRejected`."""
    reject_pans(row)
    transaction_id = identifier(row, "transaction_id", TRANSACTION_ID)
    identifier(row, "terminal_id", SHORT_ID)
    identifier(row, "merchant_id", SHORT_ID)
    _original(row, _type(row), transaction_id)
    currency = currency_code(row, "currency")
    amount_minor(
        required(row, "amount"), currency, "amount", low_minor=1, high_minor=MAX_AMOUNT_MINOR,
        too_big=LineReason.AMOUNT_OUT_OF_RANGE,
    )  # fmt: skip
    _plausible(_local_time(row), received_at, window)
    last4 = required(row, "pan_last4")
    if not _LAST4.fullmatch(last4):
        raise LineRejected(
            LineReason.INVALID_FIELD, f"pan_last4 {preview(last4)} is not 4 digits (0-9)"
        )
    try:
        return parse_journal_row(row, zone, cutoff)
    except JournalFormatError as error:  # not expected after the checks above
        raise LineRejected(LineReason.INVALID_FIELD, str(error)) from None


def _type(row: Mapping[str, str]) -> TransactionType:
    value = required(row, "type")
    try:
        return TransactionType(value)
    except ValueError:
        raise LineRejected(
            LineReason.INVALID_FIELD, f"type {preview(value)} is not one of {_TYPES}"
        ) from None


def _original(row: Mapping[str, str], kind: TransactionType, transaction_id: str) -> None:
    if not row.get("original_transaction_id"):
        if kind is not TransactionType.PURCHASE:
            raise LineRejected(
                LineReason.MISSING_ORIGINAL, f"a {kind} needs original_transaction_id"
            )
        return
    original = identifier(row, "original_transaction_id", TRANSACTION_ID)
    if original == transaction_id:
        raise LineRejected(
            LineReason.INVALID_FIELD, f"original_transaction_id is the line's own id {original!r}"
        )


def _local_time(row: Mapping[str, str]) -> datetime:
    value = required(row, "local_time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise LineRejected(
            LineReason.INVALID_FIELD, f"local_time {preview(value)} is not ISO 8601 with offset"
        )
    return parsed


def _plausible(local_time: datetime, received_at: datetime, window: TimeWindow) -> None:
    problem = window.implausibility(received_at, local_time)
    if problem is not None:
        raise LineRejected(LineReason.IMPLAUSIBLE_TIME, problem)


class JournalLine(NamedTuple):
    """A checked journal line as the journal's table keeps it (less the import's clock):
    a tuple, so a million of them cost what the rows cost, not a million objects."""

    transaction_id: str
    terminal_id: str
    merchant_id: str
    transaction_type: str
    amount_minor: int
    currency: str
    local_time: datetime  # naive: the terminal's wall clock, its offset beside it
    utc_offset_min: int
    transacted_at: datetime  # naive UTC, the convention of staged rows
    business_date: date
    card_last4: str
    original_transaction_id: str | None


def journal_line(entry: JournalEntry) -> JournalLine:
    """The careful path's entry as the stored line."""
    offset = entry.local_time.utcoffset()
    offset_min = int(offset.total_seconds() // 60) if offset is not None else 0
    return JournalLine(
        entry.transaction_id, entry.terminal_id, entry.merchant_id, str(entry.transaction_type),
        entry.amount.amount_minor, entry.amount.currency, entry.local_time.replace(tzinfo=None),
        offset_min, entry.transacted_at, entry.business_date, entry.card_last4,
        entry.original_transaction_id,
    )  # fmt: skip


# The plain line, its values in JOURNAL_COLUMNS order joined by "," (as an unquoted CSV line
# has them; no value in this grammar holds one): ASCII subsets of the careful path's
# patterns, so whatever matches is a line the careful path reads the same (no spaces:
# unstripped values go the careful way).
_PLAIN_LINE = re.compile(
    ",".join(
        (
            TRANSACTION_ID_PATTERN,
            SHORT_ID_PATTERN,
            SHORT_ID_PATTERN,
            f"(?:{'|'.join(kind.value for kind in TransactionType)})",
            r"[1-9][0-9]{0,12}(?:\.[0-9]{1,4})?",  # the ceiling's 13 digits, no leading zero
            "[A-Z]{3}",
            f"(?:{LOCAL_TIME_PATTERN})",
            "[0-9]{4}",
            f"(?:{TRANSACTION_ID_PATTERN})?",
        )
    )  # fmt: skip
)
_PURCHASE = TransactionType.PURCHASE.value


class JournalLineReader:
    """What reads an import's lines: values in JOURNAL_COLUMNS order, as the file has them
    (unstripped). The window is placed around `received_at` once, not per line."""

    def __init__(
        self, zone: ZoneInfo, cutoff: time, received_at: datetime, window: TimeWindow
    ) -> None:
        self._zone, self._cutoff = zone, cutoff
        self._received_at, self._window = received_at, window
        self._instant_of = _local_instants(window.around(received_at), zone, cutoff)

    def __call__(self, values: Sequence[str]) -> JournalLine:
        """The line's verdict: the fast path first, the careful path for any line it does
        not clear. Raises `LineRejected`."""
        line = self.plain(",".join(values))
        return self.careful(values) if line is None else line

    def plain(self, joined: str) -> JournalLine | None:
        """The fast path, over the values joined by "," (an unquoted CSV line is that): the
        line if it is plainly valid; None leaves the verdict to `careful`."""
        return _plain_line(joined, self._instant_of)

    def careful(self, values: Sequence[str]) -> JournalLine:
        """The careful path, the rules' home: a reason for every refusal."""
        row = dict(zip(JOURNAL_COLUMNS, (value.strip() for value in values), strict=True))
        entry = parse_journal_line(row, self._zone, self._cutoff, self._received_at, self._window)
        return journal_line(entry)


def _plain_line(joined: str, instant_of: _InstantOf) -> JournalLine | None:
    """The line if it is plainly valid; None sends it to the careful path for a verdict."""
    if _PLAIN_LINE.fullmatch(joined) is None:
        return None
    values = joined.split(",")  # a match holds exactly the eight commas between its values
    # `reject_pans`' rule, value by value, after its pre-check on the joined line (it joins
    # with "|"; "," is no separator of a card number either): the pre-check trips on a line
    # in forty (a UUID's digits), a value's almost never.
    if could_hold_pan(joined) and any(could_hold_pan(v) and holds_pan(v) for v in values):
        return None
    tid, terminal, merchant, kind, amount, currency, local, last4, original = values
    if (not original and kind != _PURCHASE) or original == tid or not is_known_currency(currency):
        return None
    try:
        amount_minor = minor_units(amount, currency)
    except (AmountFormatError, ValueError):
        return None
    instant = instant_of(local)
    if instant is None or amount_minor > MAX_AMOUNT_MINOR:
        return None
    wall, offset_min, transacted_at, business_date = instant
    return JournalLine(
        tid, terminal, merchant, kind, amount_minor, currency, wall, offset_min, transacted_at,
        business_date, last4, original or None,
    )  # fmt: skip


# A local_time as the journal's row keeps it: wall clock, offset (minutes), UTC instant (both
# naive), business date.
_LocalInstant = tuple[datetime, int, datetime, date]
_InstantOf = Callable[[str], _LocalInstant | None]
_REMEMBERED_TIMES = 4096  # distinct local_time texts; a journal's lines come in time order


def _local_instants(span: PlausibleSpan, zone: ZoneInfo, cutoff: time) -> _InstantOf:
    """`_plain_instant` remembered by text. Why: lines share their local_time (a terminal's
    clock reads whole seconds; a million-line day repeats three texts in four, time order
    keeps the repeats close), and parsing it, placing it in the zone and against the cutoff
    cost ~3 us of a line's ~16 us in the worker (timeit, 200k lines); a dict hit ~0.05 us.
    Forgotten every 4,096 texts, which keeps all but 0.01% of the hits (a 1M-line day)."""
    seen: dict[str, _LocalInstant | None] = {}

    def instant_of(text: str) -> _LocalInstant | None:
        instant = seen.get(text)
        if instant is None and text not in seen:
            if len(seen) >= _REMEMBERED_TIMES:
                seen.clear()
            instant = seen[text] = _plain_instant(text, span, zone, cutoff)
        return instant

    return instant_of


def _plain_instant(
    text: str, span: PlausibleSpan, zone: ZoneInfo, cutoff: time
) -> _LocalInstant | None:
    """A local_time `_PLAIN_LINE` matched, as stored, if it exists and lies in `span`; None
    sends its line to the careful path."""
    try:
        local_time = datetime.fromisoformat(text)
        offset = local_time.utcoffset()
        if offset is None:
            return None
        wall = local_time.replace(tzinfo=None)
        transacted_at = wall - offset
        if not span.holds_utc(transacted_at):
            return None
        business_date = business_date_of(local_time, zone, cutoff)
    except (ValueError, OverflowError):
        return None
    return wall, int(offset.total_seconds()) // 60, transacted_at, business_date
