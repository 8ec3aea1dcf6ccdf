"""The local poller: what Lambda's SQS event source mapping does on AWS.

Each worker loops receive -> handler -> delete, and deletes only what the handler
committed. A message the handler reports back is hidden for an exponential backoff by its
receive count (`redelivery_delay_s`), so a record that keeps failing is retried ever more
slowly until, after maxReceiveCount receives, SQS's redrive policy moves it to the DLQ.
When a whole batch fails (the database is down, or the handler raised) the worker itself
pauses with jittered exponential backoff before polling again: polling on would only burn
receive counts and push good messages toward the DLQ while the database is away.
Batch size 1 is the asynchronous mode, 10 with a long poll the batch mode.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from botocore.exceptions import BotoCoreError, ClientError

from settlement.adapters.sqs_events import event_from_messages
from settlement.backoff import backoff_s, equal_jitter_s
from settlement.gateway.batches import Consumer, consuming, thread_consumer
from settlement.gateway.service import BatchReport

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

log = logging.getLogger(__name__)

EventHandler = Callable[[dict[str, Any]], tuple[PartialItemFailureResponse, BatchReport]]
Sleep = Callable[[float], object]


@dataclass(frozen=True, slots=True)
class PollerConfig:
    queue_url: str
    source_arn: str
    region: str
    batch_size: int = 10
    wait_s: int = 20
    drain: bool = False  # stop when a receive comes back empty
    # Backoff: a reported message stays hidden retry_backoff_s * 2**(receives-1) seconds, at
    # most retry_backoff_max_s; a worker whose whole batch failed pauses on the same scale.
    retry_backoff_s: int = 1
    retry_backoff_max_s: int = 60
    idle_sleep_s: float = 0.05  # short polling (wait_s=0): pause before polling an empty queue
    # Like Lambda's MaximumBatchingWindowInSeconds: a part-full batch waits this long for
    # more messages (one more receive), trading latency for fewer requests per message.
    batch_window_s: float = 0.0


def start_line(config: PollerConfig) -> str:
    """What a consumer says when it starts, so a log shows which queue it drains and how."""
    return f"consuming {config.queue_url} (batch size {config.batch_size}, wait {config.wait_s}s)"


def redelivery_delay_s(receive_count: int, base_s: int, cap_s: int) -> int:
    """Visibility timeout for a message reported back after its `receive_count`-th receive."""
    return backoff_s(receive_count, base_s, cap_s)


def batch_failure_pause_s(failures: int, base_s: int, cap_s: int, rng: random.Random) -> float:
    """Pause after `failures` whole-batch failures in a row: the redelivery's backoff, with
    equal jitter (workers that failed together do not all return in the same instant)."""
    return equal_jitter_s(float(backoff_s(failures, base_s, cap_s)), rng)


class Poller:
    """One worker. `stop` ends it after the batch in hand is handled and deleted.

    `sleep` and `rng` are injectable so tests can watch the backoff without waiting; by
    default a pause is `stop.wait`, so SIGTERM cuts it short.
    """

    def __init__(
        self,
        sqs: SQSClient,
        handler: EventHandler,
        config: PollerConfig,
        stop: threading.Event,
        on_batch: Callable[[BatchReport], None] = lambda _report: None,
        *,
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if not 1 <= config.batch_size <= 10:
            raise ValueError(f"batch size {config.batch_size} outside 1..10 (SQS maximum)")
        self.sqs, self.handler, self.config = sqs, handler, config
        self.stop, self.on_batch = stop, on_batch
        self.sleep: Sleep = sleep or stop.wait
        self.rng = rng or random.Random()
        self.receive_calls = 0
        self.delete_calls = 0
        self.failed_batches = 0  # whole-batch failures in a row; 0 after any success
        self.pauses_s: list[float] = []
        self.consumer: Consumer | None = None  # named on its first batch, in its own thread

    def run(self) -> None:
        log.info(start_line(self.config))
        while not self.stop.is_set():
            if not self.turn() and self.config.drain:
                return

    def turn(self) -> bool:
        """Receive and handle one batch; False only when the queue came back empty.

        A failed SQS call pauses this worker (backoff) and counts as a turn taken, as does a
        whole batch the handler could not take. An empty short poll sleeps `idle_sleep_s`
        first, unless the worker drains."""
        try:
            return self._poll_once()
        except (BotoCoreError, ClientError) as error:
            # SQS itself unreachable or refusing: nothing was deleted that is not committed,
            # so whatever is in hand comes back after its visibility timeout.
            log.error("SQS call failed: %s", error)
            self._pause("SQS call")
        except Exception:  # noqa: BLE001 - e.g. moto's in-process SQS is not thread-safe
            log.exception("polling failed unexpectedly")
            self._pause("poll")
        return True

    def _poll_once(self) -> bool:
        messages = self._receive()
        if not messages:
            if self.config.wait_s == 0 and not self.config.drain:
                self.sleep(self.config.idle_sleep_s)
            return False
        if self._handle(messages):
            self.failed_batches = 0
        else:
            self._pause(f"whole batch of {len(messages)}")
        return True

    def _receive(self) -> list[MessageTypeDef]:
        messages = self._receive_up_to(self.config.batch_size, self.config.wait_s)
        missing = self.config.batch_size - len(messages)
        if messages and missing and self.config.batch_window_s > 0:
            self.sleep(self.config.batch_window_s)
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

    def _handle(self, messages: list[MessageTypeDef]) -> bool:
        """Handle one batch; False when none of it could be handled (the whole batch failed)."""
        event = event_from_messages(messages, self.config.source_arn, self.config.region)
        try:
            with consuming(self._consumer()):  # the name on its gateway_batches row
                response, report = self.handler(event)
        except Exception as error:  # noqa: BLE001 - as on Lambda: the whole batch comes back
            log.error("handler raised %s; the batch of %d is left for redelivery",
                      type(error).__name__, len(messages))  # fmt: skip
            self._back_off(messages)
            return False
        retry = {item["itemIdentifier"] for item in response["batchItemFailures"]}
        done = [m for m in messages if m["MessageId"] not in retry]
        self._delete(done)
        self._back_off([m for m in messages if m["MessageId"] in retry])
        self.on_batch(report)
        return bool(done)

    def _consumer(self) -> Consumer:
        """This worker as a consumer, named by the thread that runs it, once."""
        if self.consumer is None:
            self.consumer = thread_consumer(self.config.batch_size)
        return self.consumer

    def _pause(self, what: str) -> None:
        self.failed_batches += 1
        cfg = self.config
        pause_s = batch_failure_pause_s(
            self.failed_batches, cfg.retry_backoff_s, cfg.retry_backoff_max_s, self.rng
        )
        self.pauses_s.append(pause_s)
        log.warning(
            "%s failed (%d in a row): pausing %.1f s before polling again",
            what, self.failed_batches, pause_s,
        )  # fmt: skip
        self.sleep(pause_s)

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
        """Hide each reported message for its backoff, so retries slow down receive by receive."""
        if not messages:
            return
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"],
             "VisibilityTimeout": self._delay_s(m)}
            for i, m in enumerate(messages)
        ]  # fmt: skip
        response = self.sqs.change_message_visibility_batch(
            QueueUrl=self.config.queue_url,
            Entries=entries,  # type: ignore[arg-type]
        )
        for failure in response.get("Failed", []):
            # The message keeps the queue's visibility timeout instead: retried later, not lost.
            log.warning("backoff not set for entry %s: %s", failure["Id"], failure.get("Message"))

    def _delay_s(self, message: MessageTypeDef) -> int:
        receives = message.get("Attributes", {}).get("ApproximateReceiveCount", "1")
        count = int(receives) if str(receives).isdigit() else 1
        return redelivery_delay_s(
            count, self.config.retry_backoff_s, self.config.retry_backoff_max_s
        )
