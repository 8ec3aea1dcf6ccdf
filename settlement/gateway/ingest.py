"""Replay a capture file (`messages.jsonl`) through SQS and the gateway.

A sender and K consumers run at once and the sender keeps the queue shallow, because
moto's SQS scans the whole queue on every call (measured: 10,000 messages loaded up
front never drained). The queue-less bulk path is in `direct.py`.

Against a real endpoint (AWS, a moto server) sender and consumers are threads: each spends
its time waiting on the network. With the embedded SQS (`one_thread`) the queue lives in this
process and every call is Python under one interpreter lock, so threads only add hand-offs
(measured: 250 msg/s threaded, 400 in one thread, the bare loop 470): the sender and the
consumers then take turns in one thread, the sender one batch, the consumers a poll each
until it is handled, so the queue stays one batch deep (`max_in_flight` is for threads).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from settlement.adapters.sqs_events import SendOutcome, send_batch
from settlement.adapters.sqs_limits import NumberedBody, Refusal, packed
from settlement.gateway.capture import read_bodies
from settlement.gateway.poller import EventHandler, Poller, PollerConfig
from settlement.gateway.service import BatchReport

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

Progress = Callable[[int], None]  # called with the number of messages just handled


@dataclass(slots=True)
class IngestSummary:
    report: BatchReport = field(default_factory=BatchReport)
    sent: int = 0
    dead_lettered: int = 0
    sqs_requests: int = 0
    seconds: float = 0.0
    # Lines SQS would refuse or did refuse (size, characters): never sent, each reported.
    refused: list[Refusal] = field(default_factory=list)
    send_calls: int = 0
    # The DLQ's depth when this ingest began: what earlier runs left there is not ours.
    dlq_depth_before: int = 0

    def failures(self, dlq_name: str) -> list[str]:
        """One line for each thing this ingest could not do; empty when it did its job.
        Rejected messages are not failures: the gateway judged them and kept them, with
        their reason, in the rejects table."""
        lines = [refused.describe() for refused in self.refused]
        if self.dead_lettered:
            lines.append(
                f"{self.dead_lettered} message(s) went to the dead-letter queue {dlq_name} "
                "(settlement dlq inspect)"
            )
        return lines


@dataclass(frozen=True, slots=True)
class SqsIngestPlan:
    sqs: SQSClient
    queue_url: str
    dlq_url: str
    poller: PollerConfig
    workers: int
    max_in_flight: int = 50  # threads: the sender waits while this many are unhandled
    one_thread: bool = False  # the embedded SQS: sender and consumers take turns


def ingest_via_sqs(
    path: Path, handler: EventHandler, plan: SqsIngestPlan, progress: Progress
) -> IngestSummary:
    """Send and consume at once; returns when every sent message is handled or dead-lettered."""
    if plan.one_thread:
        return _ingest_in_turns(path, handler, plan, progress)
    summary = IngestSummary(dlq_depth_before=_approximate_depth(plan.sqs, plan.dlq_url))
    started = time.perf_counter()
    lock, handled = threading.Condition(), [0]

    def on_batch(report: BatchReport) -> None:
        with lock:
            summary.report.merge(report)
            done = report.received - len(report.failed_message_ids)
            handled[0] += done
            lock.notify_all()
        progress(done)

    stop = threading.Event()
    pollers = [Poller(plan.sqs, handler, plan.poller, stop, on_batch) for _ in range(plan.workers)]
    threads = [threading.Thread(target=p.run, name=f"consumer-{i}") for i, p in enumerate(pollers)]
    for thread in threads:
        thread.start()
    try:
        _send_throttled(path, plan, summary, lock, handled)
        _wait_until_drained(plan, summary, lock, handled)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    summary.report.failed_message_ids.clear()
    summary.sqs_requests = _requests(pollers) + summary.send_calls
    summary.seconds = time.perf_counter() - started
    return summary


def _send_throttled(
    path: Path,
    plan: SqsIngestPlan,
    summary: IngestSummary,
    lock: threading.Condition,
    handled: list[int],
) -> None:
    for batch in _batches(path, summary):
        _wait_for_room(lock, handled, summary.sent, plan.max_in_flight)
        summary.sent += _send(plan, batch, summary)


def _wait_for_room(lock: threading.Condition, handled: list[int], sent: int, limit: int) -> None:
    """Keep the queue shallow; give up waiting after 30 s so a stuck consumer shows as DLQ."""
    with lock:
        lock.wait_for(lambda: sent - handled[0] < limit, timeout=30)


def _wait_until_drained(
    plan: SqsIngestPlan, summary: IngestSummary, lock: threading.Condition, handled: list[int]
) -> None:
    """Done when all sent messages are handled, or the rest sit in the DLQ."""
    while True:
        with lock:
            if lock.wait_for(lambda: handled[0] >= summary.sent, timeout=1.0):
                return
        summary.dead_lettered = _dead_lettered_since(plan, summary)
        if (
            handled[0] + summary.dead_lettered >= summary.sent
            and _approximate_depth(plan.sqs, plan.queue_url) == 0
        ):
            return


def _dead_lettered_since(plan: SqsIngestPlan, summary: IngestSummary) -> int:
    return max(0, _approximate_depth(plan.sqs, plan.dlq_url) - summary.dlq_depth_before)


def _approximate_depth(sqs: SQSClient, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def _requests(pollers: Iterable[Poller]) -> int:
    return sum(p.receive_calls + p.delete_calls for p in pollers)


def _ingest_in_turns(
    path: Path, handler: EventHandler, plan: SqsIngestPlan, progress: Progress
) -> IngestSummary:
    summary = IngestSummary()
    started = time.perf_counter()
    handled = [0]

    def on_batch(report: BatchReport) -> None:
        summary.report.merge(report)
        done = report.received - len(report.failed_message_ids)
        handled[0] += done
        progress(done)

    config = replace(plan.poller, wait_s=0, drain=True)  # an empty poll returns at once
    stop = threading.Event()  # never set: turns end when the queue is empty
    pollers = deque(Poller(plan.sqs, handler, config, stop, on_batch) for _ in range(plan.workers))
    for batch in _batches(path, summary):
        summary.sent += _send(plan, batch, summary)
        # Poll until the batch is handled (or all that is left is hidden for its backoff):
        # the queue stays one batch deep, as moto's calls cost O(depth).
        _take_turns(pollers, lambda: handled[0] < summary.sent)
    while not _take_turns(pollers, lambda: handled[0] < summary.sent):
        # What is left is hidden for its redelivery backoff, or on its way to the DLQ.
        summary.dead_lettered = _dead_lettered_since(plan, summary)
        if handled[0] + summary.dead_lettered >= summary.sent and not _approximate_depth(
            plan.sqs, plan.queue_url
        ):
            break
        time.sleep(_BACKOFF_POLL_S)
    summary.report.failed_message_ids.clear()
    summary.sqs_requests = _requests(pollers) + summary.send_calls
    summary.seconds = time.perf_counter() - started
    return summary


_BACKOFF_POLL_S = 0.2


def _take_turns(pollers: deque[Poller], wanted: Callable[[], bool]) -> bool:
    """Consumers poll in rotation while `wanted()`; False once each found the queue empty."""
    empty_in_a_row = 0
    while wanted():
        poller = pollers[0]
        pollers.rotate(-1)
        empty_in_a_row = 0 if poller.turn() else empty_in_a_row + 1
        if empty_in_a_row == len(pollers):
            return False
    return True


def _batches(path: Path, summary: IngestSummary) -> Iterator[list[NumberedBody]]:
    """The capture packed to SQS's limits; lines SQS would refuse go to `summary.refused`."""
    return packed(read_bodies(path), summary.refused.append)


def _send(plan: SqsIngestPlan, batch: list[NumberedBody], summary: IngestSummary) -> int:
    """Send one batch; returns how many went, adding what SQS refused to the summary."""
    outcome = SendOutcome()
    send_batch(plan.sqs, plan.queue_url, batch, outcome)
    summary.refused += outcome.refused
    summary.send_calls += 1
    return outcome.sent
