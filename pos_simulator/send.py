"""Put message bodies on an SQS queue: batches of ten, through the one SQS sender.

`settlement.adapters.sqs_events.send_batch` sends each batch: only the entries SQS fails are
sent again, up to `max_attempts` in all, waiting `backoff_s`, 2x, 4x... (at most the
policy's cap) between tries; entries SQS rejects as the sender's fault (`SenderFault`) are
not retried. Bodies go on the wire exactly as given, garbled ones included, because
rejecting them is the gateway's job; only what SQS cannot carry (over its size limit,
characters it refuses: `settlement.adapters.sqs_limits`) stays behind, reported by line,
and the rest of the file is sent. The simulator uses settlement's sender rather than a
copy: it sends to the same queue under the same limits as `settlement ingest` does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

from settlement.adapters.sqs_events import RetryPolicy, SendOutcome, send_batch
from settlement.adapters.sqs_limits import MAX_BATCH_ENTRIES, NumberedBody, Refusal, packed

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MAX_BATCH = MAX_BATCH_ENTRIES  # the SQS limit per send_message_batch call
Sleep = Callable[[float], None]
T = TypeVar("T")


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
) -> SendOutcome:
    """Send every (line number, body); `on_batch(n)` is told how many lines each finished
    batch held, and 1 for each line refused before sending (`sqs_limits`)."""
    if not 1 <= batch_size <= MAX_BATCH:
        raise ValueError(f"batch_size must be 1..{MAX_BATCH}")
    report = SendOutcome()
    policy = RetryPolicy(max_attempts, base_s=backoff_s, sleep=sleep)
    done = on_batch or (lambda _count: None)

    def refuse(refused: Refusal) -> None:
        report.refused.append(refused)
        done(1)

    for batch in packed(bodies, refuse, batch_size):
        send_batch(sqs, queue_url, batch, report, policy)
        done(len(batch))
    return report


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
