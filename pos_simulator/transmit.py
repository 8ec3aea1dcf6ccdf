"""Put message bodies on an SQS queue: batches of ten, failed entries retried with backoff.

`send_message_batch` can succeed for some entries and fail for others; only the failed
entries are sent again, up to `max_attempts` in all, waiting `backoff_s`, 2x, 4x... between
tries. Entries SQS rejects as the sender's fault (`SenderFault`) are not retried: they
would fail again. Bodies go on the wire exactly as given, garbled ones included, because
rejecting them is the gateway's job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from settlement.batching import batched

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

MAX_BATCH = 10  # the SQS limit per send_message_batch call
Sleep = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_s: float = 0.2  # before the first retry; doubles each time
    sleep: Sleep = time.sleep


@dataclass(slots=True)
class TransmitReport:
    sent: int = 0
    failed: int = 0
    retries: int = 0  # entries sent again after a failure
    errors: list[str] = field(default_factory=list)  # first few failure reasons

    def note(self, error: str) -> None:
        if len(self.errors) < 10:
            self.errors.append(error)


def transmit(
    sqs: SQSClient,
    queue_url: str,
    bodies: Iterable[str],
    *,
    batch_size: int = MAX_BATCH,
    max_attempts: int = 5,
    backoff_s: float = 0.2,
    sleep: Sleep = time.sleep,
    on_batch: Callable[[int], None] | None = None,
) -> TransmitReport:
    """Send every body; `on_batch(n)` is told how many bodies each finished batch held."""
    if not 1 <= batch_size <= MAX_BATCH:
        raise ValueError(f"batch_size must be 1..{MAX_BATCH}")
    report = TransmitReport()
    policy = RetryPolicy(max_attempts, backoff_s, sleep)
    for batch in batched(bodies, batch_size):
        _send_batch(sqs, queue_url, batch, report, policy)
        if on_batch is not None:
            on_batch(len(batch))
    return report


def _send_batch(
    sqs: SQSClient, queue_url: str, bodies: list[str], report: TransmitReport, policy: RetryPolicy
) -> None:
    pending: dict[str, str] = {str(i): body for i, body in enumerate(bodies)}
    for attempt in range(1, policy.max_attempts + 1):
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": key, "MessageBody": body} for key, body in pending.items()
        ]
        response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        report.sent += len(response.get("Successful", []))
        retry: dict[str, str] = {}
        for failure in response.get("Failed", []):
            report.note(f"{failure.get('Code', '?')}: {failure.get('Message', '')}".strip())
            if failure.get("SenderFault") or attempt == policy.max_attempts:
                report.failed += 1
            else:
                retry[failure["Id"]] = pending[failure["Id"]]
        if not retry:
            return
        report.retries += len(retry)
        policy.sleep(policy.backoff_s * 2 ** (attempt - 1))
        pending = retry


def read_bodies(lines: Iterable[str]) -> Iterator[str]:
    """Message bodies from messages.jsonl lines: the line text without its line end."""
    for line in lines:
        body = line.rstrip("\r\n")
        if body:
            yield body


def paced(
    bodies: Iterable[str],
    per_second: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Sleep = time.sleep,
) -> Iterator[str]:
    """Release body i at start + i / per_second: a steady rate for live demos."""
    if per_second <= 0:
        raise ValueError("rate must be positive")
    start = clock()
    for index, body in enumerate(bodies):
        wait = start + index / per_second - clock()
        if wait > 0:
            sleep(wait)
        yield body
