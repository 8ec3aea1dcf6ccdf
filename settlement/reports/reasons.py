"""Why an exception is one, in words a reader can act on: the reason beyond its class.

A class says what reconciliation found; the facts beside the item say why. Three classes
have more to say, told from facts the report reads with the item (`ExceptionItem`):
- `missing_in_staging`, a journal line never staged: the gateway REJECTED a message with its
  transaction id (its first reject's reason code says why), or it was LOST: no message with
  that id ever reached the gateway's tables (dropped before the queue, still in flight, or
  dead-lettered and not redriven);
- `late`: sent after the cutoff of its own date (the terminal's clock: sent_at), or sent in
  time and received after it; how late, in minutes;
- `amount_mismatch`: the journal's amount and the staged one, and the difference.
Every other class is its own reason. The HTML's exceptions and exceptions.csv both call
`explain`, so the page and the file never say two things.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from settlement.domain.money import Money
from settlement.domain.recon_classes import ReconClass

if TYPE_CHECKING:
    from settlement.adapters.report_reads.records import ExceptionItem

CutoffOf = Callable[[date], datetime]  # a business date's cutoff instant, naive UTC


class ExceptionReason(StrEnum):
    """The reasons beyond the class (other exceptions keep their class as reason)."""

    REJECTED = "rejected"  # missing_in_staging: the gateway rejected its message
    LOST = "lost"  # missing_in_staging: no message with its id reached the gateway
    SENT_LATE = "sent_after_cutoff"  # late: the terminal sent it after its date's cutoff
    RECEIVED_LATE = "received_after_cutoff"  # late: sent in time, received after the cutoff
    AMOUNT_DIFFERS = "amount_differs"  # amount_mismatch: same currency, other amount

    @property
    def meaning(self) -> str:
        """One line for a reader of the report."""
        return _MEANING[self]


_MEANING = {
    ExceptionReason.REJECTED: "the gateway rejected the message (its reason code says why)",
    ExceptionReason.LOST: "no message with this id reached the gateway: lost on the way,"
    " or still in the dead-letter queue",
    ExceptionReason.SENT_LATE: "the terminal sent it after its business date's cutoff",
    ExceptionReason.RECEIVED_LATE: "sent in time, received after its business date's cutoff",
    ExceptionReason.AMOUNT_DIFFERS: "the journal and the staged row differ in amount",
}


@dataclass(frozen=True, slots=True)
class Explanation:
    reason: str  # an `ExceptionReason`, or the item's own reason (its class)
    detail: str  # one sentence: what the reason alone cannot say
    late_by_min: int | None = None  # late items: minutes after the cutoff


def explain(item: ExceptionItem, cutoff_of: CutoffOf) -> Explanation:
    """The item's reason and its detail, from the facts read with it."""
    if item.recon_class == ReconClass.MISSING_IN_STAGING:
        return _missing(item)
    if item.recon_class == ReconClass.LATE and item.sent_at is not None:
        return _late(item, cutoff_of(item.business_date))
    if item.recon_class == ReconClass.AMOUNT_MISMATCH:
        return _mismatch(item)
    return Explanation(item.reason or item.recon_class, ReconClass(item.recon_class).meaning)


def _missing(item: ExceptionItem) -> Explanation:
    if item.reject_reason is not None:
        detail = f"rejected by the gateway: {item.reject_reason}"
        if item.reject_detail:
            detail += f" ({item.reject_detail})"
        return Explanation(ExceptionReason.REJECTED, detail)
    return Explanation(
        ExceptionReason.LOST,
        "never received: no message with this transaction id reached the gateway",
    )


def _late(item: ExceptionItem, cutoff: datetime) -> Explanation:
    assert item.sent_at is not None and item.received_at is not None
    date_text = item.business_date.isoformat()
    if item.sent_at >= cutoff:
        late_by_min = _minutes(item.sent_at - cutoff)
        return Explanation(
            ExceptionReason.SENT_LATE,
            f"sent {duration_text(late_by_min)} after the cutoff of {date_text}",
            late_by_min,
        )
    late_by_min = _minutes(max(item.received_at - cutoff, timedelta(0)))
    return Explanation(
        ExceptionReason.RECEIVED_LATE,
        f"sent in time, received {duration_text(late_by_min)} after the cutoff of {date_text}",
        late_by_min,
    )


def _mismatch(item: ExceptionItem) -> Explanation:
    journal, staged, currency = item.journal_amount_minor, item.staged_amount_minor, item.currency
    if journal is None or staged is None or journal == staged:
        return Explanation(item.reason or item.recon_class, ReconClass.AMOUNT_MISMATCH.meaning)
    difference = journal - staged
    more = "more" if difference > 0 else "less"
    return Explanation(
        ExceptionReason.AMOUNT_DIFFERS,
        f"journal {_money(journal, currency)}, staged {_money(staged, currency)}: the journal"
        f" has {_money(abs(difference), currency)} {currency} {more}",
    )


def _money(minor: int, currency: str) -> str:
    return Money(minor, currency).format()


def _minutes(delta: timedelta) -> int:
    return delta // timedelta(minutes=1)


def duration_text(minutes: int) -> str:
    """'7 min', '2 h 05 min', '3 d 4 h': how late, read at a glance."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"
