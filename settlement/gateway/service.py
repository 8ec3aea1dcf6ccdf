"""The gateway's core loop body: validate a batch of messages and stage it.

Each message is judged on its own (`Gateway.judge`): parsed, its timestamps held to the
plausible window before any date arithmetic, its row built; whatever its content makes go
wrong there, even an exception nobody foresaw, becomes that message's reject with a reason,
so it can never fail, delay or dead-letter a batch-mate.

Fast path: one database transaction for the whole batch. If that fails, fall back to one
transaction per message so one bad record never fails its neighbours: a transient error
(database down, lock timeout) marks just that message for redelivery, a permanent one
(the database refuses the row) rejects it with `storage_rejected`.

Each batch leaves one `gateway_batches` row (`batches.py`): on the fast path in the batch's
own transaction (one INSERT more), on the fallback after its messages' transactions, so a
crash can lose a batch's record but never leave a record whose rows are not there.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import NamedTuple

from settlement.adapters.clock import Clock
from settlement.adapters.staging import (
    BatchRecord,
    RejectRow,
    StagedRow,
    StageOutcome,
    StagingRepository,
    body_digest,
    is_transient,
)
from settlement.domain.cards import mask_pans
from settlement.domain.message_body import masked_body
from settlement.domain.plausibility import PlausibleSpan
from settlement.domain.pos_message import Rejection, RejectReason, parse_pos_message
from settlement.gateway.batches import Consumer, LatencyTotal, current_consumer, new_batch_id
from settlement.gateway.records import StagingPolicy, staged_row

log = logging.getLogger(__name__)


class InboundMessage(NamedTuple):  # a tuple: one per message on the hot path
    message_id: str
    body: str
    # When the message entered the queue (SQS SentTimestamp, naive UTC): where the gateway's
    # latency starts. None (a caller without a queue): the terminal's own sent_at.
    queued_at: datetime | None = None


@dataclass(slots=True)
class BatchReport:
    received: int = 0
    staged: int = 0
    duplicates: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    failed_message_ids: set[str] = field(default_factory=set)  # transient: redeliver

    def merge(self, other: BatchReport) -> None:
        self.received += other.received
        self.staged += other.staged
        self.duplicates += other.duplicates
        self.rejected.update(other.rejected)
        self.failed_message_ids |= other.failed_message_ids


class BatchStart(NamedTuple):  # a tuple: one a batch, on the hot path
    """What is known of a batch before it is staged: its record's first fields, and when
    each of its messages entered the queue (by message id)."""

    consumer: Consumer
    started_at: datetime
    received: int
    queued_at: dict[str, datetime]

    def entered(self, row: StagedRow) -> datetime:
        """Where the row's latency starts: its queue entry, else the terminal's send time (a
        replayed capture's sent_at is the simulated day's, not when it was sent)."""
        sent_at: datetime = row.sent_at
        return self.queued_at.get(row.message_id, sent_at)

    def record(
        self, finished_at: datetime, counts: tuple[int, int, int, int], latency: LatencyTotal
    ) -> BatchRecord:
        """`counts`: staged, duplicates, rejected, failed."""
        return BatchRecord(
            new_batch_id(), self.consumer.name, self.consumer.max_batch, self.started_at,
            finished_at, self.received, *counts, latency.sum_ms, latency.max_ms,
        )  # fmt: skip


class Gateway:
    def __init__(self, repository: StagingRepository, policy: StagingPolicy, clock: Clock) -> None:
        self.repository = repository
        self.policy = policy
        self.clock = clock

    def process(self, messages: Sequence[InboundMessage]) -> BatchReport:
        received_at = self.clock()
        span = self.policy.window.around(received_at)
        rows: list[StagedRow] = []
        rejects: list[RejectRow] = []
        for message in messages:
            judged = self.judge(message, received_at, span)
            if isinstance(judged, StagedRow):
                rows.append(judged)
            else:
                rejects.append(judged)
        report = BatchReport(received=len(messages))
        queued = {m.message_id: m.queued_at for m in messages if m.queued_at is not None}
        start = BatchStart(current_consumer(len(messages)), received_at, len(messages), queued)
        try:
            outcome = self._stage(rows, rejects, start if messages else None)
        except Exception as error:  # noqa: BLE001 - any batch failure falls back per record
            # The type only: a driver's message can quote the rows, bodies included.
            log.warning("batch of %d failed (%s); retrying one by one", len(messages),
                        type(error).__name__)  # fmt: skip
            return self._one_by_one(rows, rejects, report, start)
        _count(report, outcome, rejects)
        return report

    def judge(
        self, message: InboundMessage, received_at: datetime, span: PlausibleSpan
    ) -> StagedRow | RejectRow:
        """The message's row, or its reject; never raises, whatever the body holds. `span`:
        the plausible window around `received_at`, placed once for the batch."""
        try:
            parsed = parse_pos_message(message.body)
            if isinstance(parsed, Rejection):
                return _reject(message, parsed)
            implausible = span.implausibility(parsed.local_time, parsed.sent_at)
            if implausible is not None:
                why = Rejection(RejectReason.IMPLAUSIBLE_TIME, implausible, parsed.transaction_id)
                return _reject(message, why)
            return staged_row(parsed, self.policy, message.message_id, received_at, message.body)
        except Exception as error:  # noqa: BLE001 - a defect must cost one message, not a batch
            name = type(error).__name__  # never its text: it could quote the body, PAN and all
            log.error("message %s: unexpected %s while judging it; rejected", message.message_id,
                      name)  # fmt: skip
            return _reject(message, Rejection(RejectReason.UNEXPECTED_ERROR, f"unexpected {name}"))

    def _stage(
        self, rows: Sequence[StagedRow], rejects: Sequence[RejectRow], start: BatchStart | None
    ) -> StageOutcome:
        staged_at = self.clock()
        for row in rows:
            row.stamp_staged_at(staged_at)
        received_at = rows[0].received_at if rows else staged_at
        if start is None:
            return self.repository.stage(rows, rejects, received_at)
        record = partial(_batch_record, start, rows, rejects, staged_at)
        return self.repository.stage(rows, rejects, received_at, record)

    def _one_by_one(
        self,
        rows: Sequence[StagedRow],
        rejects: Sequence[RejectRow],
        report: BatchReport,
        start: BatchStart,
    ) -> BatchReport:
        latency = LatencyTotal()
        for reject in rejects:
            self._attempt(report, [], [reject], reject.message_id)
        for row in rows:
            if self._attempt(report, [row], [], row.message_id):
                latency.add([start.entered(row)], row.staged_at)
        if start.received:
            counts = (report.staged, report.duplicates, sum(report.rejected.values()),
                      len(report.failed_message_ids))  # fmt: skip
            self._record_after(start.record(self.clock(), counts, latency))
        return report

    def _record_after(self, record: BatchRecord) -> None:
        """A batch staged message by message is recorded after its rows: if the database is
        still away, the record is lost (logged), never its rows' commits undone."""
        try:
            self.repository.record_batch(record)
        except Exception as error:  # noqa: BLE001 - the rows are committed: keep them
            log.warning("batch %s not recorded: %s", record.batch_id, type(error).__name__)

    def _attempt(
        self, report: BatchReport, rows: list[StagedRow], rejects: list[RejectRow], message_id: str
    ) -> bool:
        """Stage one message on its own; True when its row is newly staged."""
        try:
            outcome = self._stage(rows, rejects, None)
            _count(report, outcome, rejects)
            return bool(outcome.staged)
        except Exception as error:  # noqa: BLE001 - classified below, never swallowed silently
            if is_transient(error) or not rows:
                log.warning("message %s left for redelivery: %s", message_id,
                            type(error).__name__)  # fmt: skip
                report.failed_message_ids.add(message_id)
                return False
            detail = f"database refused the row: {type(error).__name__}"
            row = rows[0]
            refusal = RejectRow(
                message_id, row.transaction_id, "storage_rejected", detail, masked_body(row.body),
                body_digest(row.body),
            )  # fmt: skip
            self._attempt(report, [], [refusal], message_id)
            return False


def _batch_record(
    start: BatchStart,
    rows: Sequence[StagedRow],
    rejects: Sequence[RejectRow],
    staged_at: datetime,
    outcome: StageOutcome,
) -> BatchRecord:
    """The fast path's record, made inside the batch's transaction from its outcome (counted
    as `_count` counts the report: a conflict is a reject)."""
    if len(outcome.staged) == len(rows):  # nearly every batch: all its rows are new
        staged_rows = rows
    else:
        won = set(outcome.staged)
        staged_rows = [row for row in rows if row.message_id in won]
    latency = LatencyTotal()
    latency.add([start.entered(row) for row in staged_rows], staged_at)
    rejected = len(rejects) + len(outcome.conflicts)
    counts = (len(outcome.staged), len(outcome.duplicates), rejected, 0)
    return start.record(staged_at, counts, latency)


def _reject(message: InboundMessage, rejection: Rejection) -> RejectRow:
    return RejectRow(
        message_id=message.message_id,
        transaction_id=rejection.transaction_id,
        reason_code=rejection.reason.value,
        detail=mask_pans(rejection.detail),
        body=masked_body(message.body),
        body_sha256=body_digest(message.body),
    )


def _count(report: BatchReport, outcome: StageOutcome, rejects: Sequence[RejectRow]) -> None:
    report.staged += len(outcome.staged)
    report.duplicates += len(outcome.duplicates)
    report.rejected.update(reject.reason_code for reject in rejects)
    report.rejected.update(RejectReason.CONFLICT.value for _ in outcome.conflicts)
