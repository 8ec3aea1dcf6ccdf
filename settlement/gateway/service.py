"""The gateway's core loop body: validate a batch of messages and stage it.

Each message is judged on its own (`Gateway.judge`): parsed, its timestamps held to the
plausible window before any date arithmetic, its row built; whatever its content makes go
wrong there, even an exception nobody foresaw, becomes that message's reject with a reason,
so it can never fail, delay or dead-letter a batch-mate.

Fast path: one database transaction for the whole batch. If that fails, fall back to one
transaction per message so one bad record never fails its neighbours: a transient error
(database down, lock timeout) marks just that message for redelivery, a permanent one
(the database refuses the row) rejects it with `storage_rejected`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from settlement.adapters.clock import Clock
from settlement.adapters.staging import (
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
from settlement.gateway.records import StagingPolicy, staged_row

log = logging.getLogger(__name__)


class InboundMessage(NamedTuple):  # a tuple: one per message on the hot path
    message_id: str
    body: str


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
        try:
            outcome = self._stage(rows, rejects)
        except Exception as error:  # noqa: BLE001 - any batch failure falls back per record
            # The type only: a driver's message can quote the rows, bodies included.
            log.warning("batch of %d failed (%s); retrying one by one", len(messages),
                        type(error).__name__)  # fmt: skip
            return self._one_by_one(rows, rejects, report)
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

    def _stage(self, rows: Sequence[StagedRow], rejects: Sequence[RejectRow]) -> StageOutcome:
        staged_at = self.clock()
        for row in rows:
            row.stamp_staged_at(staged_at)
        received_at = rows[0].received_at if rows else staged_at
        return self.repository.stage(rows, rejects, received_at)

    def _one_by_one(
        self, rows: Sequence[StagedRow], rejects: Sequence[RejectRow], report: BatchReport
    ) -> BatchReport:
        for reject in rejects:
            self._attempt(report, [], [reject], reject.message_id)
        for row in rows:
            self._attempt(report, [row], [], row.message_id)
        return report

    def _attempt(
        self, report: BatchReport, rows: list[StagedRow], rejects: list[RejectRow], message_id: str
    ) -> None:
        try:
            _count(report, self._stage(rows, rejects), rejects)
        except Exception as error:  # noqa: BLE001 - classified below, never swallowed silently
            if is_transient(error) or not rows:
                log.warning("message %s left for redelivery: %s", message_id,
                            type(error).__name__)  # fmt: skip
                report.failed_message_ids.add(message_id)
                return
            detail = f"database refused the row: {type(error).__name__}"
            row = rows[0]
            refusal = RejectRow(
                message_id, row.transaction_id, "storage_rejected", detail, masked_body(row.body),
                body_digest(row.body),
            )  # fmt: skip
            self._attempt(report, [], [refusal], message_id)


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
