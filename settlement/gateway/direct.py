"""Direct transport: Lambda-shaped batches handed straight to the handler, no queue.

What an SQS event source mapping with a batching window does (up to 10,000 records per
invocation), minus the queue, for bulk loads that moto's SQS cannot carry. With K workers,
K processes each run the handler on their own batches, as K concurrent Lambda invocations
would; on SQLite their commits serialise on the write lock, the parsing does not. The
parent only finds where each batch's lines lie in the file; a worker reads its own.
Records the handler reports back are retried with backoff; any still failing after
`max_attempts` are counted as dead-lettered, never dropped silently.

Before its first batch a loader freezes the heap it has built (modules, the gateway): those
objects live as long as the process, and the collector then walks only each batch's own
objects (~10 % of a batch's CPU time, measured). While a batch is handled the cyclic
collector is paused: the batch's objects (records, parsed messages, rows) all live until it
ends and refcounting frees them then, so the collector would only walk them again and again
as they pile up (another ~8 %, measured); any cycle among them waits for the next collection.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from settlement.adapters.sqs_events import epoch_ms, sqs_record, system_attributes
from settlement.backoff import backoff_s
from settlement.gateway.batches import Consumer, consuming
from settlement.gateway.capture import LineRun, NumberedBody, line_runs, read_run
from settlement.gateway.ingest import IngestSummary, Progress
from settlement.gateway.poller import EventHandler
from settlement.gateway.service import BatchReport

Handled = tuple[BatchReport, int, int]  # a batch's counts, dead-lettered, messages sent
CONSUMER = "direct"  # how a direct loader's batches are recorded in gateway_batches


@dataclass(frozen=True, slots=True)
class DirectPlan:
    batch_size: int = 10_000
    workers: int = 1
    max_attempts: int = 3


def ingest_direct(
    path: Path, handler: EventHandler, plan: DirectPlan, progress: Progress
) -> IngestSummary:
    """Stage a capture in this process through `handler`."""
    summary = IngestSummary()
    started = time.perf_counter()
    gc.freeze()
    try:
        with consuming(Consumer(CONSUMER, plan.batch_size)):
            for run in line_runs(path, plan.batch_size):
                _add(summary, _handle_run(handler, path, run, plan.max_attempts), progress)
    finally:
        gc.unfreeze()  # this process goes on (the CLI, a test): its heap is collectable again
    summary.seconds = time.perf_counter() - started
    return summary


def ingest_direct_parallel(
    path: Path, make_handler: Callable[[], EventHandler], plan: DirectPlan, progress: Progress
) -> IngestSummary:
    """Stage a capture with `plan.workers` processes, each with its own gateway, each
    reading the runs of lines it is given from the file itself.

    `make_handler` is called once in each worker to build that worker's handler (and its
    engine); it crosses to the workers by pickling, so it is a module-level function or a
    `functools.partial` of one (the entry points pass `gateway_event_handler` and settings)."""
    summary = IngestSummary()
    started = time.perf_counter()
    in_flight: deque[Future[Handled]] = deque()
    with ProcessPoolExecutor(
        plan.workers, initializer=_init_worker, initargs=(make_handler,)
    ) as pool:
        for run in line_runs(path, plan.batch_size):
            if len(in_flight) >= 2 * plan.workers:
                _add(summary, in_flight.popleft().result(), progress)
            in_flight.append(pool.submit(_worker_run, path, run, plan))
        while in_flight:
            _add(summary, in_flight.popleft().result(), progress)
    summary.seconds = time.perf_counter() - started
    return summary


def handle_chunk(
    handler: EventHandler, source: str, chunk: list[NumberedBody], max_attempts: int
) -> tuple[BatchReport, int]:
    """One Lambda-shaped batch, retried for the records the handler reports back."""
    if not chunk:  # a run of blank lines
        return BatchReport(), 0
    arn = f"arn:aws:sqs:local:000000000000:{source}"
    now_ms = epoch_ms()
    first_receive = system_attributes(now_ms)  # one dict for the batch: built once
    pending = [
        sqs_record(f"{source}:{number}", body, arn, "local", attributes=first_receive)
        for number, body in chunk
    ]
    total = BatchReport()
    for attempt in range(1, max_attempts + 1):
        response, report = handler({"Records": pending})
        retry = {item["itemIdentifier"] for item in response["batchItemFailures"]}
        report.received -= len(retry)  # counted again when retried
        report.failed_message_ids.clear()
        total.merge(report)
        pending = [record for record in pending if record["messageId"] in retry]
        if not pending or attempt == max_attempts:
            break
        time.sleep(backoff_s(attempt, 0.5, 5.0))
        again = system_attributes(now_ms, receive_count=attempt + 1)  # as SQS counts them
        pending = [{**record, "attributes": again} for record in pending]
    total.received += len(pending)
    return total, len(pending)


def _handle_run(handler: EventHandler, path: Path, run: LineRun, max_attempts: int) -> Handled:
    with _collector_paused():
        chunk = read_run(path, run)
        return (*handle_chunk(handler, path.name, chunk, max_attempts), len(chunk))


@contextmanager
def _collector_paused() -> Iterator[None]:
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _add(summary: IngestSummary, handled: Handled, progress: Progress) -> None:
    report, dead, sent = handled
    summary.sent += sent
    summary.report.merge(report)
    summary.dead_lettered += dead
    progress(sent)


_WORKER_HANDLER: EventHandler | None = None


def _init_worker(make_handler: Callable[[], EventHandler]) -> None:
    global _WORKER_HANDLER  # noqa: PLW0603 - one gateway per worker process
    _WORKER_HANDLER = make_handler()
    gc.freeze()


def _worker_run(path: Path, run: LineRun, plan: DirectPlan) -> Handled:
    assert _WORKER_HANDLER is not None, "worker not initialised"
    with consuming(Consumer(CONSUMER, plan.batch_size)):
        return _handle_run(_WORKER_HANDLER, path, run, plan.max_attempts)
