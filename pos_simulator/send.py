"""Put message bodies on an SQS queue: batches of ten, failed entries retried with backoff.

`send_message_batch` can succeed for some entries and fail for others; only the failed
entries are sent again, up to `max_attempts` in all, waiting `backoff_s`, 2x, 4x... between
tries. Entries SQS rejects as the sender's fault (`SenderFault`) are not retried: they
would fail again. Bodies go on the wire exactly as given, garbled ones included, because
rejecting them is the gateway's job; only what SQS cannot carry (over its size limit,
characters it refuses: `settlement.adapters.sqs_limits`) stays behind, reported by line,
and the rest of the file is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from settlement.adapters.sqs_limits import (
    MAX_BATCH_ENTRIES,
    NumberedBody,
    Refusal,
    failure_reason,
    message_bytes,
    packed,
    send_entries,
)

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MAX_BATCH = MAX_BATCH_ENTRIES  # the SQS limit per send_message_batch call
Sleep = Callable[[float], None]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_s: float = 0.2  # before the first retry; doubles each time
    sleep: Sleep = time.sleep


@dataclass(slots=True)
class TransmitReport:
    sent: int = 0
    retries: int = 0  # entries sent again after a failure
    refused: list[Refusal] = field(default_factory=list)  # not sent: one each, with its line

    @property
    def failed(self) -> int:
        return len(self.refused)


def transmit(
    sqs: SQSClient,
    queue_url: str,
    bodies: Iterable[NumberedBody],
    *,
    batch_size: int = MAX_BATCH,
    max_attempts: int = 5,
    backoff_s: float = 0.2,
    sleep: Sleep = time.sleep,
    on_batch: Callable[[int], None] | None = None,
) -> TransmitReport:
    """Send every (line number, body); `on_batch(n)` is told how many lines each finished
    batch held, and 1 for each line refused before sending (`sqs_limits`)."""
    if not 1 <= batch_size <= MAX_BATCH:
        raise ValueError(f"batch_size must be 1..{MAX_BATCH}")
    report = TransmitReport()
    policy = RetryPolicy(max_attempts, backoff_s, sleep)
    done = on_batch or (lambda _count: None)

    def refuse(refused: Refusal) -> None:
        report.refused.append(refused)
        done(1)

    for batch in packed(bodies, refuse, batch_size):
        _send_batch(sqs, queue_url, batch, report, policy)
        done(len(batch))
    return report


def _send_batch(
    sqs: SQSClient,
    queue_url: str,
    batch: list[NumberedBody],
    report: TransmitReport,
    policy: RetryPolicy,
) -> None:
    pending = {str(i): numbered for i, numbered in enumerate(batch)}
    for attempt in range(1, policy.max_attempts + 1):
        entries = [{"Id": key, "MessageBody": body} for key, (_, body) in pending.items()]
        response = send_entries(sqs, queue_url, entries)
        report.sent += len(response.get("Successful", []))
        retry: dict[str, NumberedBody] = {}
        for failure in response.get("Failed", []):
            line, body = pending[failure["Id"]]
            if failure.get("SenderFault") or attempt == policy.max_attempts:
                report.refused.append(Refusal(line, message_bytes(body), failure_reason(failure)))
            else:
                retry[failure["Id"]] = (line, body)
        if not retry:
            return
        report.retries += len(retry)
        policy.sleep(policy.backoff_s * 2 ** (attempt - 1))
        pending = retry


def read_bodies(lines: Iterable[str]) -> Iterator[NumberedBody]:
    """(line number, body) of messages.jsonl lines: the text without its line end, numbered
    from 1 with blank lines counted, as `settlement ingest` numbers them."""
    for number, line in enumerate(lines, start=1):
        body = line.removesuffix("\n").removesuffix("\r")
        if body:
            yield number, body


def paced(
    bodies: Iterable[T],
    per_second: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Sleep = time.sleep,
) -> Iterator[T]:
    """Release body i at start + i / per_second: a steady rate for live demos."""
    if per_second <= 0:
        raise ValueError("rate must be positive")
    start = clock()
    for index, body in enumerate(bodies):
        wait = start + index / per_second - clock()
        if wait > 0:
            sleep(wait)
        yield body
