"""From a transaction to what each side sees: the journal row, the label, the message(s).

The terminal always journals what it did; what reaches the queue depends on the fault drawn
for the transaction: nothing (lost), twice (duplicated), a wrong amount, after the cutoff
(late), or garbled (the malformed kinds). Every fault is written to faults.csv with the
message line it concerns.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

from pos_simulator.amounts import amount_text
from pos_simulator.faults import FaultDraw, altered_amount, garble
from pos_simulator.pools import Merchant
from pos_simulator.records import Txn, journal_line, message_fields, message_line
from pos_simulator.streams import SlotClock
from pos_simulator.timeline import MS_PER_HOUR, MS_PER_S, local_time_text, utc_text
from pos_simulator.writer import DayWriter

LATENCY_MS = (80, 2_000)  # terminal to queue
RETRANSMIT_AFTER_MS = (2 * MS_PER_S, 60 * MS_PER_S)
LATE_FIRST_MS, LATE_SPAN_MS = 60 * MS_PER_S, 3 * MS_PER_HOUR  # after the cutoff
Retransmit = Callable[[int, str, str], None]  # (sent_ms, transaction_id, line)


class Transmitter:
    def __init__(
        self,
        rng: random.Random,
        clock: SlotClock,
        writer: DayWriter,
        draw: FaultDraw,
        retransmit: Retransmit,
    ) -> None:
        self.rng, self.clock, self.writer, self.draw = rng, clock, writer, draw
        self.start_ms, self.end_ms = clock.start_ms, clock.end_ms
        self.retransmit = retransmit
        self.faults: Counter[str] = Counter()

    def local(self, merchant: Merchant, ms: int) -> str:
        return local_time_text(ms, self.clock.offset(merchant.timezone, ms))

    def sent_ms(self, ms: int) -> int:
        """When the terminal transmitted: a moment later, but never past the cutoff."""
        low, high = LATENCY_MS
        return min(ms + low + int(self.rng.random() * (high - low)), self.end_ms - 1)

    def late_ms(self, ms: int) -> int:
        """After the cutoff, in the same order as the transactions (the spool stays sorted)."""
        elapsed, day_ms = ms - self.start_ms, self.end_ms - self.start_ms
        return self.end_ms + LATE_FIRST_MS + elapsed * LATE_SPAN_MS // day_ms

    def send(self, txn: Txn) -> int:
        """Journal, label and transmit a transaction without fault; returns the message line."""
        local = self.local(txn.merchant, txn.ms)
        self._record(txn, local)
        return self.writer.message(message_line(txn, local, utc_text(self.sent_ms(txn.ms))))

    def emit(self, txn: Txn, u: float) -> str | None:
        """Journal and transmit `txn`, faulted if `u` falls in a fault's slice of [0, 1)."""
        kind = self.draw.pick(u)
        if kind is None:
            self.send(txn)
            return None
        self.faults[kind] += 1
        local = self.local(txn.merchant, txn.ms)
        self._record(txn, local)
        self._faulty(kind, txn, local)
        return kind

    def _record(self, txn: Txn, local: str) -> None:
        """The terminal's own record and the ground truth: written whatever reaches the queue."""
        self.writer.journal_buffer.append(journal_line(txn, local))
        self.writer.labels_buffer.append(f"{txn.transaction_id},{txn.label}\n")

    def orphan_refund(self, txn: Txn) -> None:
        """A refund of an original nobody has: transmitted intact, flagged in faults.csv."""
        self.faults["orphan_refund"] += 1
        self.writer.fault(txn.transaction_id, self.send(txn), "orphan_refund")

    def _faulty(self, kind: str, txn: Txn, local: str) -> None:
        writer, transaction_id = self.writer, txn.transaction_id
        if kind == "lost":
            writer.fault(transaction_id, None, kind)
            return
        if kind == "late":
            writer.late(transaction_id, message_line(txn, local, utc_text(self.late_ms(txn.ms))))
            return
        sent_ms = self.sent_ms(txn.ms)
        sent = utc_text(sent_ms)
        if kind == "duplicated":
            writer.message(message_line(txn, local, sent))
            low, high = RETRANSMIT_AFTER_MS
            again = min(sent_ms + low + int(self.rng.random() * (high - low)), self.end_ms - 1)
            self.retransmit(again, transaction_id, message_line(txn, local, utc_text(again)))
            return
        if kind == "altered_amount":
            wrong = amount_text(altered_amount(self.rng, txn.amount_minor), txn.merchant.exponent)
            line = message_line(txn, local, sent, wrong)
        else:
            line = garble(self.rng, kind, message_fields(txn, local, sent))
        writer.fault(transaction_id, writer.message(line), kind)
