"""The local poller: what Lambda's SQS event source mapping does on AWS.

Each worker loops receive -> handler -> delete, and deletes only what the handler
committed; a message the handler reports back becomes visible again after a short
backoff and, after maxReceiveCount receives, SQS's redrive policy moves it to the DLQ.
Batch size 1 is the asynchronous mode, 10 with a long poll the batch mode.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

from settlement.adapters.sqs_events import event_from_messages
from settlement.gateway.service import BatchReport

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

log = logging.getLogger(__name__)

EventHandler = Callable[[dict[str, Any]], tuple[PartialItemFailureResponse, BatchReport]]


@dataclass(frozen=True, slots=True)
class PollerConfig:
    queue_url: str
    source_arn: str
    region: str
    batch_size: int = 10
    wait_s: int = 20
    drain: bool = False  # stop when a receive comes back empty
    retry_backoff_s: int = 1  # visibility before a reported message is retried
    idle_sleep_s: float = 0.05  # short polling (wait_s=0): pause before polling an empty queue
    # Like Lambda's MaximumBatchingWindowInSeconds: a part-full batch waits this long for
    # more messages (one more receive), trading latency for fewer requests per message.
    batch_window_s: float = 0.0


class Poller:
    """One worker. `stop` ends it after the batch in hand is handled and deleted."""

    def __init__(
        self,
        sqs: SQSClient,
        handler: EventHandler,
        config: PollerConfig,
        stop: threading.Event,
        on_batch: Callable[[BatchReport], None] = lambda _report: None,
    ) -> None:
        if not 1 <= config.batch_size <= 10:
            raise ValueError(f"batch size {config.batch_size} outside 1..10 (SQS maximum)")
        self.sqs, self.handler, self.config = sqs, handler, config
        self.stop, self.on_batch = stop, on_batch
        self.receive_calls = 0
        self.delete_calls = 0

    def run(self) -> None:
        while not self.stop.is_set():
            messages = self._receive()
            if not messages:
                if self.config.drain:
                    return
                if self.config.wait_s == 0:
                    self.stop.wait(self.config.idle_sleep_s)
                continue
            self._handle(messages)

    def _receive(self) -> list[MessageTypeDef]:
        messages = self._receive_up_to(self.config.batch_size, self.config.wait_s)
        missing = self.config.batch_size - len(messages)
        if messages and missing and self.config.batch_window_s > 0:
            self.stop.wait(self.config.batch_window_s)
            messages += self._receive_up_to(missing, 0)
        return messages

    def _receive_up_to(self, count: int, wait_s: int) -> list[MessageTypeDef]:
        self.receive_calls += 1
        response = self.sqs.receive_message(
            QueueUrl=self.config.queue_url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=wait_s,
            MessageSystemAttributeNames=["All"],
        )
        return list(response.get("Messages", []))

    def _handle(self, messages: list[MessageTypeDef]) -> None:
        event = event_from_messages(messages, self.config.source_arn, self.config.region)
        response, report = self.handler(event)
        retry = {item["itemIdentifier"] for item in response["batchItemFailures"]}
        done = [m for m in messages if m["MessageId"] not in retry]
        self._delete(done)
        self._back_off([m for m in messages if m["MessageId"] in retry])
        self.on_batch(report)

    def _delete(self, messages: list[MessageTypeDef]) -> None:
        if not messages:
            return
        self.delete_calls += 1
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ]
        response = self.sqs.delete_message_batch(QueueUrl=self.config.queue_url, Entries=entries)  # type: ignore[arg-type]
        for failure in response.get("Failed", []):
            # Committed but not deleted: it comes back and is a duplicate no-op.
            log.warning("delete failed for entry %s: %s", failure["Id"], failure.get("Message"))

    def _back_off(self, messages: list[MessageTypeDef]) -> None:
        if not messages:
            return
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"],
             "VisibilityTimeout": self.config.retry_backoff_s}
            for i, m in enumerate(messages)
        ]  # fmt: skip
        self.sqs.change_message_visibility_batch(QueueUrl=self.config.queue_url, Entries=entries)  # type: ignore[arg-type]
