"""SQS shapes: turn `receive_message` output into the event Lambda would deliver, and send.

The local poller hands the handler exactly what an SQS event source mapping would, so the
handler cannot tell the two apart.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from settlement.batching import batched

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

SEND_BATCH_MAX = 10


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


def send_bodies(
    sqs: SQSClient, queue_url: str, bodies: Iterable[str], max_attempts: int = 5
) -> int:
    """Send bodies 10 per call, retrying the entries SQS reports failed; returns the count."""
    return sum(
        _send_batch(sqs, queue_url, batch, max_attempts)
        for batch in batched(bodies, SEND_BATCH_MAX)
    )


def _send_batch(sqs: SQSClient, queue_url: str, bodies: list[str], max_attempts: int) -> int:
    pending = {str(index): body for index, body in enumerate(bodies)}
    for attempt in range(max_attempts):
        entries = [{"Id": key, "MessageBody": body} for key, body in pending.items()]
        response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)  # type: ignore[arg-type]
        failed = {entry["Id"] for entry in response.get("Failed", [])}
        pending = {key: body for key, body in pending.items() if key in failed}
        if not pending:
            return len(bodies)
        time.sleep(min(0.05 * 2**attempt, 2.0))
    raise RuntimeError(f"{len(pending)} message(s) still failing after {max_attempts} attempts")
