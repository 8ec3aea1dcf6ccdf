"""`settlement queues|gateway|dlq|ingest`: the SQS side of the gateway.

The gateway itself (Powertools, SQLAlchemy, Alembic) is imported inside the commands that
run it, so that registering these commands costs every other `settlement` command nothing.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table  # already loaded by settlement.cli.app

from settlement.adapters.aws import create_queues, queue_url, sqs_client
from settlement.adapters.sqs_events import queue_arn, send_bodies
from settlement.cli.app import app, console, settings_or_exit
from settlement.config import Settings
from settlement.domain.message_body import masked_body
from settlement.exit_codes import ExitCode

if TYPE_CHECKING:
    from settlement.gateway.ingest import IngestSummary
    from settlement.gateway.poller import EventHandler, PollerConfig
    from settlement.gateway.service import BatchReport

queues_app = typer.Typer(help="SQS queues.", no_args_is_help=True)
gateway_app = typer.Typer(help="The gateway consumer (local SQS poller).", no_args_is_help=True)
dlq_app = typer.Typer(help="The dead-letter queue.", no_args_is_help=True)
app.add_typer(queues_app, name="queues")
app.add_typer(gateway_app, name="gateway")
app.add_typer(dlq_app, name="dlq")


def _handler(settings: Settings) -> AbstractContextManager[EventHandler]:
    from settlement.entrypoints.wiring import handler_from_settings  # noqa: PLC0415 - start-up time

    return handler_from_settings(settings)


def _worker_handler(settings: Settings) -> Callable[[], EventHandler]:
    """What each direct-transport worker process calls to build its own gateway."""
    from settlement.entrypoints.wiring import gateway_event_handler  # noqa: PLC0415

    return partial(gateway_event_handler, settings)


def _poller_config(
    settings: Settings, url: str, batch_size: int, wait_s: int, drain: bool
) -> PollerConfig:
    from settlement.gateway.poller import PollerConfig  # noqa: PLC0415

    arn = queue_arn(settings.aws_region, settings.queue_name)
    return PollerConfig(
        url, arn, settings.aws_region, batch_size, wait_s, drain,
        retry_backoff_s=settings.retry_backoff_base_s,
        retry_backoff_max_s=settings.retry_backoff_max_s,
    )  # fmt: skip


@queues_app.command("create")
def queues_create() -> None:
    """Create the main queue and its DLQ with the redrive policy (idempotent)."""
    settings = settings_or_exit()
    main_url, dlq_url = create_queues(sqs_client(settings), settings)
    console.print(f"queue {main_url}")
    console.print(f"dead-letter queue {dlq_url} (after {settings.max_receive_count} receives)")


@contextmanager
def _graceful_stop() -> Iterator[threading.Event]:
    """SIGINT/SIGTERM set the event: workers finish the batch in hand, delete, and exit."""
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda _signum, _frame: stop.set())
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@gateway_app.command("consume")
def consume(
    batch_size: int = typer.Option(
        10, min=1, max=10, help="Messages per receive: 1 = async, 10 = batch."
    ),
    wait_seconds: int = typer.Option(20, min=0, max=20, help="Long-poll wait per receive."),
    workers: int = typer.Option(1, min=1, max=64, help="Competing consumers on the one queue."),
    drain: bool = typer.Option(False, help="Exit when the queue is empty instead of waiting."),
    batch_window: float = typer.Option(
        0.0, min=0.0, max=300.0, help="Seconds a part-full batch waits for more messages."
    ),
) -> None:
    """Poll the queue, stage what arrives, delete only what was committed."""
    from settlement.gateway.poller import Poller, start_line  # noqa: PLC0415
    from settlement.gateway.service import BatchReport  # noqa: PLC0415

    settings = settings_or_exit()
    sqs = sqs_client(settings)
    url = (
        create_queues(sqs, settings)[0]
        if settings.embedded_aws
        else queue_url(sqs, settings.queue_name)
    )
    total, lock = BatchReport(), threading.Lock()

    def on_batch(report: BatchReport) -> None:
        with lock:
            total.merge(report)

    config = replace(
        _poller_config(settings, url, batch_size, wait_seconds, drain),
        batch_window_s=batch_window,
    )
    with _handler(settings) as handler, _graceful_stop() as stop:
        console.print(start_line(config), soft_wrap=True, highlight=False, markup=False)
        pollers = [Poller(sqs, handler, config, stop, on_batch) for _ in range(workers)]
        threads = [
            threading.Thread(target=p.run, name=f"consumer-{i}") for i, p in enumerate(pollers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    _print_report(total)


@dlq_app.command("inspect")
def dlq_inspect(limit: int = typer.Option(50, min=1, help="Most messages to show.")) -> None:
    """List dead-lettered messages (PAN masked) without consuming them."""
    settings = settings_or_exit()
    sqs = sqs_client(settings)
    url = queue_url(sqs, settings.dlq_name)
    table = Table("message id", "receives", "body (PAN masked)", title=settings.dlq_name)
    shown, handles = 0, []
    while shown < limit:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=min(10, limit - shown), WaitTimeSeconds=0,
            VisibilityTimeout=30, MessageSystemAttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])  # fmt: skip
        if not messages:
            break
        for message in messages:
            receives = message.get("Attributes", {}).get("ApproximateReceiveCount", "?")
            table.add_row(message["MessageId"], str(receives), masked_body(message["Body"])[:200])
            handles.append(message["ReceiptHandle"])
        shown += len(messages)
    for start in range(0, len(handles), 10):  # looking must not hide them from a redrive
        entries: list[Any] = [
            {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
            for i, handle in enumerate(handles[start : start + 10])
        ]
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
    console.print(table)
    console.print(f"{shown} message(s) shown; they stay in the dead-letter queue")


@dlq_app.command("redrive")
def dlq_redrive() -> None:
    """Move every dead-lettered message back to the main queue."""
    settings = settings_or_exit()
    sqs = sqs_client(settings)
    dlq, main = queue_url(sqs, settings.dlq_name), queue_url(sqs, settings.queue_name)
    moved = 0
    while messages := sqs.receive_message(
        QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=0
    ).get("Messages", []):
        send_bodies(sqs, main, [message["Body"] for message in messages])
        entries: list[Any] = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ]
        sqs.delete_message_batch(QueueUrl=dlq, Entries=entries)
        moved += len(messages)
    console.print(f"redrove {moved} message(s) to {settings.queue_name}")


@app.command("ingest")
def ingest(
    capture: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="messages.jsonl to replay."
    ),
    transport: str = typer.Option(
        "sqs", help="sqs (through the queue) or direct (bulk, no queue)."
    ),
    batch_size: int = typer.Option(
        0, min=0, max=10_000, help="Records per handler call (default 10 sqs, 10000 direct)."
    ),
    workers: int = typer.Option(
        2, min=1, max=64, help="Consumers (sqs) or handler processes (direct)."
    ),
    wait_seconds: int = typer.Option(
        0, min=0, max=20, help="Long-poll wait (sqs transport); 0 = short polls."
    ),
) -> None:
    """Replay a capture file through the queue and the gateway, then print a summary."""
    from settlement.gateway.capture import read_bodies  # noqa: PLC0415

    if not capture.is_file():  # /dev/zero is one line without end: read until killed
        raise typer.BadParameter(f"{capture}: not a regular file", param_hint="capture")
    from settlement.gateway.direct import (  # noqa: PLC0415
        DirectPlan,
        ingest_direct,
        ingest_direct_parallel,
    )

    settings = settings_or_exit()
    if transport not in {"sqs", "direct"}:
        raise typer.BadParameter("transport must be sqs or direct")
    from settlement.cli.progress import ProgressBoard  # noqa: PLC0415 - start-up time

    with ProgressBoard(console) as board:
        total = board.step(f"count {capture.name}", lambda: sum(1 for _ in read_bodies(capture)))
        with (
            _handler(settings) as handler,
            board.stage(f"ingest {capture.name} ({transport})", total, "messages") as stage,
        ):
            advance = stage.advance
            if transport == "direct":
                plan = DirectPlan(batch_size=batch_size or 10_000, workers=workers)
                summary = (
                    ingest_direct(capture, handler, plan, advance)
                    if workers == 1
                    else ingest_direct_parallel(capture, _worker_handler(settings), plan, advance)
                )
            else:
                summary = _ingest_sqs(
                    settings=settings, capture=capture, handler=handler,
                    batch_size=batch_size or 10, workers=workers, wait_s=wait_seconds,
                    advance=advance,
                )  # fmt: skip
        if transport == "direct":  # a bulk load leaves the database checkpointed
            board.step("checkpoint the database", partial(_checkpoint, settings.database_url))
    _print_summary(summary, transport)
    failures = summary.failures(settings.dlq_name)
    for line in failures:  # after the rest was sent: one line each, then exit 1
        print(f"ingest: {line}", file=sys.stderr)
    if failures:
        raise typer.Exit(ExitCode.FAILED)


def _checkpoint(url: str) -> None:
    from settlement.adapters.database import checkpoint_wal, create_db_engine  # noqa: PLC0415

    engine = create_db_engine(url)
    try:
        checkpoint_wal(engine)
    finally:
        engine.dispose()


def _ingest_sqs(
    *,
    settings: Settings,
    capture: Path,
    handler: EventHandler,
    batch_size: int,
    workers: int,
    wait_s: int,
    advance: Any,
) -> IngestSummary:
    from settlement.gateway.ingest import SqsIngestPlan, ingest_via_sqs  # noqa: PLC0415

    if batch_size > 10:
        raise typer.BadParameter("the sqs transport receives at most 10 messages per call")
    sqs = sqs_client(settings)
    main_url, dlq_url = create_queues(sqs, settings)
    plan = SqsIngestPlan(
        sqs,
        main_url,
        dlq_url,
        _poller_config(settings, main_url, batch_size, wait_s, False),
        workers,
        one_thread=settings.embedded_aws,
    )
    return ingest_via_sqs(capture, handler, plan, advance)


def _print_report(report: BatchReport) -> None:
    console.print(
        f"received {report.received}, staged {report.staged}, duplicates {report.duplicates}, "
        f"rejected {sum(report.rejected.values())} {dict(sorted(report.rejected.items()))}"
    )


def _print_summary(summary: IngestSummary, transport: str) -> None:
    report = summary.report
    table = Table("", "count", title=f"ingest ({transport})")
    for label, value in (
        ("sent", summary.sent),
        ("not sent (SQS refuses)", len(summary.refused)),
        ("received", report.received),
        ("staged", report.staged),
        ("duplicates", report.duplicates),
        ("rejected", sum(report.rejected.values())),
    ):
        table.add_row(label, str(value))
    for reason, count in sorted(report.rejected.items()):
        table.add_row(f"  rejected: {reason}", str(count))
    table.add_row("dead-lettered", str(summary.dead_lettered))
    console.print(table)
    rate = report.received / summary.seconds if summary.seconds else 0.0
    console.print(
        f"{summary.seconds:.1f} s, {rate:,.0f} msg/s"
        + (f", {summary.sqs_requests} SQS requests" if summary.sqs_requests else "")
    )
    console.print_json(
        json.dumps(
            {
                "staged": report.staged,
                "duplicates": report.duplicates,
                "rejected": dict(report.rejected),
                "dead_lettered": summary.dead_lettered,
                "not_sent": len(summary.refused),
            }
        )
    )
