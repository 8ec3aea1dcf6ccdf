"""What SQS refuses to carry, decided before sending, and batches packed to fit.

The one home of SQS's message rules for both senders (`pos-sim send` and the SQS transport of
`settlement ingest`). A message SQS would refuse is set aside here with its line number and
the reason, and the rest of the file goes on: without this one oversized line stopped the
whole send with BatchRequestTooLong, and the lines after it were never sent.

- Size: 262,144 bytes (256 KiB) for one message, counted as SQS counts it: the UTF-8 bytes
  of the body plus each message attribute's name, data type and value; and the same for a
  SendMessageBatch's entries added up. (AWS's own ceiling is now 1 MiB and moto 5.2 checks
  1 MiB, counted in characters; a queue's MaximumMessageSize may be lower, and 256 KiB, the
  long-standing limit, is taken by every SQS we may be pointed at.)
- Characters: SQS accepts only #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD |
  #x10000-#x10FFFF. moto does not check them, AWS does: checking here makes both agree.

A batch SQS still refuses as a whole for its content (an endpoint with a smaller limit,
a rule we do not know) is sent again one message at a time (`send_entries`), so one
message's content never fails its batch-mates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from settlement.domain.cards import mask_pans

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MAX_MESSAGE_BYTES = 262_144  # one message; also a SendMessageBatch's payload in total
MAX_BATCH_ENTRIES = 10  # messages per SendMessageBatch
NumberedBody = tuple[int, str]  # (line number in the capture, body)

# Every character outside SQS's allowed set (the complement of the ranges above).
_REFUSED_CHARACTER = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Whole-request errors that are about the messages' content, not the service or the queue.
_CONTENT_ERRORS = frozenset(
    {"BatchRequestTooLong", "InvalidMessageContents", "InvalidParameterValue"}
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A message that was not sent, and why: for one line on stderr and a count."""

    line: int
    size_bytes: int
    reason: str

    def describe(self) -> str:
        return f"line {self.line} not sent ({self.size_bytes:,} bytes): {self.reason}"


def message_bytes(body: str, attributes: Mapping[str, Mapping[str, Any]] | None = None) -> int:
    """A message's size as SQS counts it: body, then each attribute's name, type and value."""
    size = len(body.encode("utf-8", "surrogatepass"))
    for name, attribute in (attributes or {}).items():
        size += len(name.encode()) + len(str(attribute.get("DataType", "")).encode())
        value = attribute.get("StringValue", attribute.get("BinaryValue", b""))
        size += len(value.encode() if isinstance(value, str) else bytes(value))
    return size


def refusal(line: int, body: str) -> Refusal | None:
    """Why SQS would refuse `body`, or None when it would take it."""
    size = message_bytes(body)
    if size > MAX_MESSAGE_BYTES:
        return Refusal(line, size, f"over SQS's {MAX_MESSAGE_BYTES:,}-byte message limit")
    if found := _REFUSED_CHARACTER.search(body):
        column = found.start() + 1
        code = f"U+{ord(found.group()):04X}"
        return Refusal(line, size, f"character {code} at column {column} is refused by SQS")
    return None


def packed(
    bodies: Iterable[NumberedBody],
    on_refused: Callable[[Refusal], None],
    max_entries: int = MAX_BATCH_ENTRIES,
) -> Iterator[list[NumberedBody]]:
    """Batches of at most `max_entries` whose sizes add up to at most `MAX_MESSAGE_BYTES`,
    in the bodies' order; each body SQS would refuse goes to `on_refused` instead."""
    if not 1 <= max_entries <= MAX_BATCH_ENTRIES:
        raise ValueError(f"batch size must be 1..{MAX_BATCH_ENTRIES}, got {max_entries}")
    batch: list[NumberedBody] = []
    batch_bytes = 0
    for line, body in bodies:
        if (refused := refusal(line, body)) is not None:
            on_refused(refused)
            continue
        size = message_bytes(body)
        if batch and (len(batch) == max_entries or batch_bytes + size > MAX_MESSAGE_BYTES):
            yield batch
            batch, batch_bytes = [], 0
        batch.append((line, body))
        batch_bytes += size
    if batch:
        yield batch


def failure_reason(failure: Mapping[str, Any]) -> str:
    """One Failed entry of SendMessageBatch in words (masked: SQS may quote the body)."""
    return mask_pans(f"SQS refused it: {failure.get('Code', '?')}: {failure.get('Message', '')}")


def send_entries(sqs: SQSClient, queue_url: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """`send_message_batch`, except that a batch refused as a whole for its content is sent
    again one entry at a time, each refusal becoming a Failed entry (SenderFault)."""
    from botocore.exceptions import ClientError  # noqa: PLC0415 - boto3 is loaded by the caller

    try:
        return dict(sqs.send_message_batch(QueueUrl=queue_url, Entries=entries))  # type: ignore[arg-type]
    except ClientError as error:
        if _error_code(error) not in _CONTENT_ERRORS:
            raise  # the service or the queue, not a message: the caller's to handle
        if len(entries) == 1:
            return {"Successful": [], "Failed": [_as_failure(entries[0]["Id"], error)]}
    merged: dict[str, list[Any]] = {"Successful": [], "Failed": []}
    for entry in entries:
        response = send_entries(sqs, queue_url, [entry])
        merged["Successful"] += response.get("Successful", [])
        merged["Failed"] += response.get("Failed", [])
    return merged


def _error_code(error: Any) -> str:
    # The query protocol says "AWS.SimpleQueueService.BatchRequestTooLong", JSON the last part.
    return str(error.response.get("Error", {}).get("Code", "")).rsplit(".", 1)[-1]


def _as_failure(entry_id: str, error: Any) -> dict[str, Any]:
    details = error.response.get("Error", {})
    return {"Id": entry_id, "SenderFault": True, "Code": _error_code(error),
            "Message": str(details.get("Message", ""))}  # fmt: skip
