"""Who handles a batch, and the record the gateway keeps of each batch it handles.

Every batch the gateway handles (an SQS poller's receive, a Lambda invocation, a direct
ingest's chunk) becomes one `gateway_batches` row, written in the same transaction as the
batch's staged rows, so that the live dashboard and the report can tell the gateway's story
from the database: per consumer, how many batches, how full, what became of the messages,
how long they took from the terminal to the table.

The consumer is a fact of the caller (the poller's thread and batch size, the Lambda
function, the direct loader), not of the gateway, and the handler's signature is Lambda's
(`event` in, response out): so the caller states it with `consuming(...)` around its calls
(a context variable: per thread, per process), and the gateway reads it once a batch.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

_CONSUMER_CHARS = 128  # gateway_batches.consumer
# gateway_batches.latency_ms_max is a 32-bit integer: 24.8 days. A replayed capture's
# messages can be older than that (their sent_at is the terminal's); their max is capped, so
# the batch's record is never what makes its transaction fail.
LATENCY_MS_MAX_CAP = 2**31 - 1
_MS = timedelta(milliseconds=1)
_ZERO = timedelta(0)


class Consumer(NamedTuple):  # a tuple: made once a batch when no caller names one
    """Who handles batches (`name`) and how many messages it asks for at once (`max_batch`:
    1 is the asynchronous mode, more is batching)."""

    name: str
    max_batch: int


_CONSUMER: ContextVar[Consumer | None] = ContextVar("gateway_consumer", default=None)


@contextmanager
def consuming(consumer: Consumer) -> Iterator[None]:
    """Batches handled in this block (this thread) are recorded as `consumer`'s."""
    token = _CONSUMER.set(consumer)
    try:
        yield
    finally:
        _CONSUMER.reset(token)


_PROCESS: list[tuple[int, str]] = []  # (pid, "<host>:<pid>"): named once a process


def thread_consumer(max_batch: int) -> Consumer:
    """This thread as a consumer: "<host>:<pid>:<thread name>", as a poller names itself.
    Asked once a batch, so the host and pid are looked up once a process (a forked worker
    has its own)."""
    pid = os.getpid()
    if not _PROCESS or _PROCESS[0][0] != pid:
        _PROCESS[:] = [(pid, f"{socket.gethostname()}:{pid}")]
    name = f"{_PROCESS[0][1]}:{threading.current_thread().name}"
    return Consumer(name[:_CONSUMER_CHARS], max_batch)


def current_consumer(received: int) -> Consumer:
    """The consumer the caller stated; a caller that stated none (a test, a script calling
    the gateway itself) is this thread, its batch size the batch's own."""
    stated = _CONSUMER.get()
    if stated is not None:
        return stated
    name = getattr(_THREAD, "name", None)
    if name is None:
        name = _THREAD.name = thread_consumer(1).name
    return Consumer(name, max(1, received))


_THREAD = threading.local()  # this thread's consumer name, when no caller states one


@dataclass(slots=True)
class LatencyTotal:
    """staged_at - sent_at over a batch's staged rows. A terminal whose clock runs ahead
    (within the plausible window) sends "after" the gateway staged: that row counts 0 ms, so
    a latency is never negative."""

    total: timedelta = _ZERO
    longest: timedelta = _ZERO

    def add(self, sent_ats: Sequence[datetime], staged_at: datetime) -> None:
        """`sent_ats`: the staged rows' send times, all staged at `staged_at`."""
        if not sent_ats:
            return
        latencies = [staged_at - sent for sent in sent_ats]
        if max(sent_ats) > staged_at:  # a clock ahead: rare, so only then clamped
            latencies = [max(_ZERO, latency) for latency in latencies]
        self.total += sum(latencies, _ZERO)
        self.longest = max(self.longest, staged_at - min(sent_ats))

    @property
    def sum_ms(self) -> int:
        return self.total // _MS

    @property
    def max_ms(self) -> int:
        return min(self.longest // _MS, LATENCY_MS_MAX_CAP)


def new_batch_id() -> str:
    """A random (version 4) UUID in its 36-character form, with the bits `uuid.uuid4()` sets
    but without building a UUID object (a fifth of the batch record's cost, measured). The
    dashes matter: 32 hex digits in a row can hold 13 decimal ones, which a PAN scan of the
    database flags when they pass Luhn; the groups of the 8-4-4-4-12 form never can."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
