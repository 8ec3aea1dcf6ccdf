"""Batch vs asynchronous consumption, measured side by side on the same traffic.

A measurement harness behind `settlement compare-modes`, apart from the gateway it measures.

Each mode gets its own queue and staging database, the same messages sent at the same rate
by a terminal-like sender (one `send_message` per transaction, `sent_at` stamped at send
time), and one consumer: asynchronous = batch size 1, batch = batch size 10 with a batching
window. Latency is `staged_at - sent_at` from the staged rows; SQS requests are counted on
the client, so the cost is what SQS would bill (one request per call of up to 10 messages).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

from settlement.adapters.clock import utc_now
from settlement.adapters.staging import sent_and_staged_at
from settlement.compare.result import ModeResult
from settlement.gateway.handler import process_event
from settlement.gateway.poller import Poller, PollerConfig
from settlement.gateway.service import BatchReport, Gateway

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from sqlalchemy import Engine


@dataclass(frozen=True, slots=True)
class Mode:
    name: str
    batch_size: int
    wait_s: int
    batch_window_s: float


ASYNC = Mode("async", batch_size=1, wait_s=20, batch_window_s=0.0)
BATCH = Mode("batch", batch_size=10, wait_s=20, batch_window_s=0.5)


class RequestCounter:
    """Counts SQS API calls per operation through botocore's event hooks."""

    def __init__(self, client: SQSClient) -> None:
        self.calls: Counter[str] = Counter()
        client.meta.events.register("before-call.sqs.*", self._count)

    def _count(self, event_name: str, **_kwargs: Any) -> None:
        self.calls[event_name.rsplit(".", 1)[-1]] += 1


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


def stamp_sent_at(body: str, now: datetime) -> str:
    """The message as a terminal transmits it now; malformed lines go out unchanged."""
    try:
        document = json.loads(body)
    except ValueError:
        return body
    if not isinstance(document, dict):
        return body
    document["sent_at"] = now.isoformat(timespec="microseconds").replace("+00:00", "Z")
    return json.dumps(document, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class ModeRig:
    """Everything one mode runs on: its own queue, gateway and request counter."""

    sqs: SQSClient
    sender: SQSClient
    queue_url: str
    source_arn: str
    region: str
    gateway: Gateway
    counter: RequestCounter
    sender_counter: RequestCounter


# (what: "sent" or "staged", how many more): the command's progress display
Advance = Callable[[str, int], None]


def _quiet(_what: str, _count: int) -> None:
    """No progress display (a library call, a test)."""


def run_mode(
    mode: Mode,
    bodies: Sequence[str],
    rig: ModeRig,
    tps: float,
    price: Decimal,
    *,
    advance: Advance = _quiet,
) -> ModeResult:
    handled, lock, done = [0], threading.Lock(), threading.Event()

    def on_batch(report: BatchReport) -> None:
        staged = report.received - len(report.failed_message_ids)
        advance("staged", staged)
        with lock:
            handled[0] += staged
            if handled[0] >= len(bodies):
                done.set()

    config = PollerConfig(rig.queue_url, rig.source_arn, rig.region, mode.batch_size, mode.wait_s,
                          batch_window_s=mode.batch_window_s)  # fmt: skip
    poller = Poller(
        rig.sqs, lambda event: process_event(event, rig.gateway), config, done, on_batch
    )
    consumer = threading.Thread(target=poller.run, name=f"consumer-{mode.name}")
    started = time.perf_counter()
    consumer.start()
    _send_at_rate(rig.sender, rig.queue_url, bodies, tps, advance)
    done.wait(timeout=60 + len(bodies) / 5)
    done.set()
    consumer.join()
    elapsed = time.perf_counter() - started
    return _result(mode, len(bodies), elapsed, rig, price)


def _send_at_rate(
    sqs: SQSClient, queue_url: str, bodies: Sequence[str], tps: float, advance: Advance
) -> None:
    interval = 1.0 / tps
    next_at = time.perf_counter()
    for body in bodies:
        pause = next_at - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        sent_at = utc_now().replace(tzinfo=UTC)
        sqs.send_message(QueueUrl=queue_url, MessageBody=stamp_sent_at(body, sent_at))
        advance("sent", 1)
        next_at += interval


def _result(mode: Mode, sent: int, elapsed: float, rig: ModeRig, price: Decimal) -> ModeResult:
    latencies_ms, last_sent, last_staged = _latencies(rig.gateway.repository.engine)
    requests = rig.counter.calls + rig.sender_counter.calls
    total = sum(requests.values())
    cost = Decimal(total) * price / Decimal(1_000_000)
    per_million = cost * Decimal(1_000_000) / Decimal(sent) if sent else Decimal(0)
    staleness = (last_staged - last_sent).total_seconds() if latencies_ms else 0.0
    return ModeResult(
        mode=mode.name,
        batch_size=mode.batch_size,
        batch_window_s=mode.batch_window_s,
        messages=sent,
        staged=len(latencies_ms),
        seconds=round(elapsed, 3),
        throughput_msg_s=round(sent / elapsed, 1) if elapsed else 0.0,
        latency_ms_p50=percentile(latencies_ms, 0.50),
        latency_ms_p95=percentile(latencies_ms, 0.95),
        latency_ms_p99=percentile(latencies_ms, 0.99),
        latency_ms_max=percentile(latencies_ms, 1.0),
        sqs_requests=dict(sorted(requests.items())),
        sqs_requests_total=total,
        sqs_cost_usd=str(cost.quantize(Decimal("0.00000001"), ROUND_HALF_EVEN)),
        sqs_cost_usd_per_million_messages=str(
            per_million.quantize(Decimal("0.01"), ROUND_HALF_EVEN)
        ),
        staleness_s=round(staleness, 3),
    )


def _latencies(engine: Engine) -> tuple[list[float], datetime, datetime]:
    rows = sent_and_staged_at(engine)
    latencies = sorted(round((staged - sent).total_seconds() * 1000, 1) for sent, staged in rows)
    last_sent = max((sent for sent, _ in rows), default=datetime.min)
    last_staged = max((staged for _, staged in rows), default=datetime.min)
    return latencies, last_sent, last_staged


RigFactory = Callable[[Mode], ModeRig]
