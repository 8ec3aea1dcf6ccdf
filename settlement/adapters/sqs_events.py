"""SQS shapes: turn `receive_message` output into the event Lambda would deliver; and the
one SQS sender (`send_batch`), used by the simulator, `settlement ingest` and the DLQ redrive.

The local poller hands the handler exactly what an SQS event source mapping would, so the
handler cannot tell the two apart. The sender puts bodies on the wire exactly as given,
garbled ones included (rejecting them is the gateway's job); only what SQS cannot carry
(`sqs_limits`) stays behind, reported by line.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from settlement.adapters.sqs_limits import (
    MAX_BATCH_ENTRIES,
    NumberedBody,
    Refusal,
    failure_reason,
    message_bytes,
    packed,
    send_entries,
)
from settlement.backoff import backoff_s

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

SEND_BATCH_MAX = MAX_BATCH_ENTRIES


def queue_arn(region: str, name: str, account: str = "123456789012") -> str:
    return f"arn:aws:sqs:{region}:{account}:{name}"


def sqs_record(
    message_id: str,
    body: str,
    source_arn: str,
    region: str,
    *,
    receipt_handle: str = "",
    attributes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One record of an SQS Lambda event, field for field as AWS delivers it.

    `attributes` are its system attributes (`system_attributes()`, a first receive now, if
    not given); the records of one batch may share one dict, nothing writes to it."""
    return {
        "messageId": message_id,
        "receiptHandle": receipt_handle or message_id,
        "body": body,
        "attributes": system_attributes() if attributes is None else attributes,
        "messageAttributes": {},
        # surrogatepass: a lone surrogate (not an SQS character, but a str can hold one)
        # must cost its own message, not the batch being built around it.
        "md5OfBody": hashlib.md5(
            body.encode("utf-8", "surrogatepass"), usedforsecurity=False
        ).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": region,
    }


def system_attributes(now_ms: str = "", receive_count: int = 1) -> dict[str, str]:
    """A record's attributes as SQS sets them: sent and first received at `now_ms` (epoch
    milliseconds; default now), received `receive_count` times."""
    now_ms = now_ms or epoch_ms()
    return {
        "ApproximateReceiveCount": str(receive_count),
        "SentTimestamp": now_ms,
        "SenderId": "AIDAIENQZJOLO23YVJ4VO",
        "ApproximateFirstReceiveTimestamp": now_ms,
    }


def epoch_ms() -> str:
    return str(int(time.time() * 1000))


def event_from_messages(
    messages: Sequence[MessageTypeDef], source_arn: str, region: str
) -> dict[str, Any]:
    records = [
        sqs_record(
            message["MessageId"],
            message["Body"],
            source_arn,
            region,
            receipt_handle=message["ReceiptHandle"],
            attributes={
                **system_attributes(),
                **{k: str(v) for k, v in message.get("Attributes", {}).items()},
            },
        )
        for message in messages
    ]
    return {"Records": records}


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How the sender retries the entries SQS failed: `max_attempts` sends in all, waiting
    `backoff_s(retry, base_s, cap_s)` before each retry (50 ms doubling to 2 s by default)."""

    max_attempts: int = 5
    base_s: float = 0.05
    cap_s: float = 2.0
    sleep: Callable[[float], object] = time.sleep


DEFAULT_RETRY = RetryPolicy()


@dataclass(slots=True)
class SendOutcome:
    sent: int = 0
    retries: int = 0  # entries sent again after a failure
    refused: list[Refusal] = field(default_factory=list)  # not sent: one each, with its line

    @property
    def failed(self) -> int:
        return len(self.refused)


def send_bodies(
    sqs: SQSClient, queue_url: str, bodies: Iterable[str], policy: RetryPolicy = DEFAULT_RETRY
) -> int:
    """Send bodies (packed by `sqs_limits`), retrying the entries SQS reports failed; returns
    the count. For bodies SQS carried before (a redrive, tests): any refusal raises."""
    outcome = SendOutcome()
    for batch in packed(enumerate(bodies, start=1), outcome.refused.append):
        send_batch(sqs, queue_url, batch, outcome, policy)
    if outcome.refused:
        raise RuntimeError("; ".join(refused.describe() for refused in outcome.refused[:3]))
    return outcome.sent


def send_batch(
    sqs: SQSClient,
    queue_url: str,
    batch: list[NumberedBody],
    outcome: SendOutcome,
    policy: RetryPolicy = DEFAULT_RETRY,
) -> None:
    """Send one packed batch: the one SQS sender (the simulator's and the gateway's).

    Only the entries SQS fails are sent again, with backoff, except those it fails as the
    sender's fault (they would fail again); what is still failing after `max_attempts` is
    refused too, so the rest of the capture goes on either way."""
    pending = {str(index): numbered for index, numbered in enumerate(batch)}
    for attempt in range(1, policy.max_attempts + 1):
        entries = [{"Id": key, "MessageBody": body} for key, (_, body) in pending.items()]
        response = send_entries(sqs, queue_url, entries)
        outcome.sent += len(response.get("Successful", []))
        retry = {}
        for failure in response.get("Failed", []):
            line, body = pending[failure["Id"]]
            if failure.get("SenderFault") or attempt == policy.max_attempts:
                reason = failure_reason(failure)
                outcome.refused.append(Refusal(line, message_bytes(body), reason))
            else:
                retry[failure["Id"]] = (line, body)
        if not retry:
            return
        outcome.retries += len(retry)
        policy.sleep(backoff_s(attempt, policy.base_s, policy.cap_s))
        pending = retry
