"""Wiring for `pos-sim send` / `run`: the configured queue, progress (the `settlement`
commands' facility), optional pacing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from pos_simulator.send import MAX_BATCH, paced, read_bodies, transmit
from settlement.adapters.aws import create_queues, sqs_client
from settlement.adapters.sqs_events import SendOutcome
from settlement.cli.progress import ProgressBoard
from settlement.config import Settings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

EMBEDDED_WARNING = (
    "[yellow]warning:[/] CARDSETTLE_AWS_ENDPOINT_URL is unset, so the queue is moto inside "
    "this process: the messages vanish when pos-sim exits (that mode is for tests). Set the "
    "endpoint (a moto server, or AWS) to keep them."
)


def open_queue(
    settings: Settings, queue_url: str | None, console: Console
) -> tuple[SQSClient, str]:
    """The SQS client and the main queue's URL (created with its DLQ when not given)."""
    if settings.embedded_aws:
        console.print(EMBEDDED_WARNING)
    sqs = sqs_client(settings)
    if queue_url is None:
        queue_url, _dlq_url = create_queues(sqs, settings)
    return sqs, queue_url


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.rstrip(b"\r\n"))  # as read_bodies counts


def send_file(
    sqs: SQSClient,
    queue_url: str,
    path: Path,
    console: Console,
    *,
    max_attempts: int = 5,
    per_second: float | None = None,
) -> SendOutcome:
    """Transmit every line of `path` as one message body, showing progress."""
    total = count_lines(path)
    # Paced demos send small batches so messages leave at the requested rate, not in tens.
    batch_size = MAX_BATCH if per_second is None else max(1, min(MAX_BATCH, int(per_second)))
    # An SQS body is Unicode text: bytes that are not UTF-8 go as U+FFFD, for the gateway
    # to reject by the field they garbled, rather than stopping the send mid-file. Lines end
    # at "\n" only, so line numbers are those `settlement ingest` gives.
    with (
        path.open(encoding="utf-8", errors="replace", newline="\n") as handle,
        ProgressBoard(console) as board,
        board.stage(f"send {path.name}", total, "messages") as stage,
    ):
        bodies = read_bodies(handle)
        if per_second is not None:
            bodies = paced(bodies, per_second)
        report = transmit(
            sqs,
            queue_url,
            bodies,
            batch_size=batch_size,
            max_attempts=max_attempts,
            on_batch=stage.advance,
        )
    console.print(
        f"sent {report.sent:,} of {total:,} messages to {queue_url}"
        f" ({report.retries:,} retried, {report.failed:,} not sent)"
    )
    return report
