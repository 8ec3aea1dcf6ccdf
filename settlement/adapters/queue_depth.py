"""How full the queues are, for the live view: one GetQueueAttributes per queue, no writes.

SQS's counts are approximate by its own definition (ApproximateNumberOfMessages...): a
view of the queue filling and draining, not a ledger. A queue that cannot be read (the
endpoint is down, the queue is not created yet, the embedded SQS of another process) is a
one-line reason, never an exception: the view still shows what the database says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

_ATTRIBUTES: tuple[QueueAttributeNameType, ...] = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


@dataclass(frozen=True, slots=True)
class QueueDepth:
    visible: int  # waiting to be received
    in_flight: int  # received, not yet deleted (the gateway holds them)
    delayed: int


@dataclass(frozen=True, slots=True)
class QueueReading:
    main: QueueDepth | None
    dlq: QueueDepth | None
    problem: str | None  # why `main` (or `dlq`) is missing


@dataclass(frozen=True, slots=True)
class QueueNames:
    main: str
    dlq: str


def read_queues(sqs: SQSClient, names: QueueNames) -> QueueReading:
    """Both queues' depth; a queue that cannot be read is None with the first reason."""
    main, main_problem = _depth(sqs, names.main)
    dlq, dlq_problem = _depth(sqs, names.dlq)
    return QueueReading(main, dlq, main_problem or dlq_problem)


def _depth(sqs: SQSClient, name: str) -> tuple[QueueDepth | None, str | None]:
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[*_ATTRIBUTES])
    except Exception as error:  # noqa: BLE001 - any failure is the same "cannot read" to the view
        return None, f"queue {name} cannot be read: {_reason(error)}"
    values = found.get("Attributes", {})
    counts = [int(values.get(attribute, "0")) for attribute in _ATTRIBUTES]
    return QueueDepth(*counts), None


def _reason(error: Exception) -> str:
    code = getattr(error, "response", {}).get("Error", {}).get("Code")
    if code in {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}:
        return "it does not exist (yet)"
    text = str(error).strip()
    first = text.splitlines()[0] if text else type(error).__name__
    return first[:200]
