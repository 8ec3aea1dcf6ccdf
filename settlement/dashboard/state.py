"""The live view's state: one JSON document built from the database, the queues and the
reports directory, refreshed at most as often as its reads can afford.

Nothing here writes. The figures are as the pipeline records them: staged rows
(`staged_transactions`), rejects (`rejected_messages`), the gateway's per-batch record
(`gateway_batches`: consumers, duplicates, latency), the end-of-day guard row (`eod_runs`)
and its progress file while it runs, the queues' approximate depth from SQS.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from settlement.adapters.live_reads import (
    ConsumerRow,
    DatabaseReads,
    EodRunRow,
    ReadFailure,
    try_read_figures,
)
from settlement.adapters.queue_depth import QueueDepth, QueueReading
from settlement.adapters.run_progress import read_progress

if TYPE_CHECKING:
    from sqlalchemy import Engine

# Latency buckets (ms): a message's trip from the terminal's send to its staging commit.
# The top bucket also holds a replayed capture (the demo's), whose sent_at is the simulated day.
LATENCY_EDGES_MS = (10, 50, 100, 250, 500, 1_000, 2_500, 5_000, 30_000)
SERIES_S = 60  # the per-second charts' span
RATE_WINDOW_S = 10  # "per second" is the mean over the last this many seconds
# The view refreshes at most every max(MIN_REFRESH_S, READ_SHARE x the last read's time),
# so the reads take at most a quarter of the database's time however big the tables grow.
MIN_REFRESH_S = 1.0
READ_SHARE = 4.0


@dataclass(frozen=True, slots=True)
class Sources:
    """Where the view reads, wired by the entry point (the one place with settings)."""

    engine: Engine
    database: str  # its URL as shown (password masked)
    read_queues: Callable[[], QueueReading]
    queue_target: str  # where SQS requests go, in words
    reports_dir: Path
    utc_now: Callable[[], datetime]
    monotonic: Callable[[], float]


@dataclass(slots=True)
class LiveState:
    """The latest state document, rebuilt when it is older than the refresh interval."""

    sources: Sources
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _document: dict[str, Any] | None = None
    _built_at: float = 0.0
    _interval_s: float = MIN_REFRESH_S

    def current(self) -> dict[str, Any]:
        with self._lock:
            now = self.sources.monotonic()
            if self._document is None or now - self._built_at >= self._interval_s:
                self._document = build_state(self.sources)
                done = self.sources.monotonic()
                self._interval_s = max(MIN_REFRESH_S, READ_SHARE * (done - now))
                self._built_at = done
            return self._document


def build_state(sources: Sources) -> dict[str, Any]:
    now = sources.utc_now()
    since = now - timedelta(seconds=SERIES_S)
    reads = try_read_figures(sources.engine, since, LATENCY_EDGES_MS)
    queues = sources.read_queues()
    document: dict[str, Any] = {
        "updated_at": _iso(now),
        "database": {"url": sources.database, "problem": None},
        "queue": _queue(queues, sources.queue_target),
        "refresh_s": MIN_REFRESH_S,
    }
    if isinstance(reads, ReadFailure):
        document["database"]["problem"] = reads.reason
        return document
    document.update(_figures(reads, queues, since, sources.reports_dir))
    return document


def _figures(
    reads: DatabaseReads, queues: QueueReading, since: datetime, reports_dir: Path
) -> dict[str, Any]:
    series = {
        "staged": per_second(reads.staged_times, since),
        "rejected": per_second(reads.rejected_times, since),
        "duplicates": per_second(reads.duplicate_times, since),
    }
    return {
        "totals": _totals(reads, queues),
        "rates": {
            name: round(sum(counts[-RATE_WINDOW_S:]) / RATE_WINDOW_S, 1)
            for name, counts in series.items()
        },  # fmt: skip
        "rate_window_s": RATE_WINDOW_S,
        "series": series,
        "consumers": [_consumer(row) for row in reads.consumers],
        "latency": {"labels": bucket_labels(LATENCY_EDGES_MS), **reads.latency},
        "eod": _eod(reads.eod, reports_dir),
        "report": _report(reads.eod, reports_dir),
    }


def _totals(reads: DatabaseReads, queues: QueueReading) -> dict[str, int | None]:
    main, dlq = queues.main, queues.dlq
    waiting = None if main is None else main.visible + main.in_flight + main.delayed
    dead = None if dlq is None else dlq.visible + dlq.in_flight + dlq.delayed
    sent = None if waiting is None else reads.received + waiting + (dead or 0)
    return {
        "sent": sent,
        "received": reads.received,
        "in_queue": None if main is None else main.visible + main.delayed,
        "in_flight": None if main is None else main.in_flight,
        "dead_lettered": dead,
        "staged": reads.staged,
        "rejected": reads.rejected,
        "duplicates": reads.duplicates,
    }


def per_second(times: Iterable[tuple[datetime, int]], since: datetime) -> list[int]:
    """Counts in SERIES_S one-second bins from `since`, oldest first; later ones (a clock
    ahead of ours) go to the last bin, earlier ones are outside the window."""
    bins = [0] * SERIES_S
    for when, count in times:
        offset = int((when - since).total_seconds())
        if offset >= 0:
            bins[min(offset, SERIES_S - 1)] += count
    return bins


def bucket_labels(edges_ms: Sequence[int]) -> list[str]:
    """Short labels ("< 10 ms", "10–50 ms", "500 ms–1 s", "1–2.5 s", "≥ 30 s"): they sit
    under bars a tenth of a 900 px page wide."""

    def value(ms: int) -> tuple[str, str]:
        return (f"{ms / 1000:g}", "s") if ms >= 1000 else (str(ms), "ms")

    def span(low: int, high: int) -> str:
        (a, unit_a), (b, unit_b) = value(low), value(high)
        return f"{a}–{b} {unit_b}" if unit_a == unit_b else f"{a} {unit_a}–{b} {unit_b}"

    first, last = value(edges_ms[0]), value(edges_ms[-1])
    middle = [span(a, b) for a, b in zip(edges_ms, edges_ms[1:], strict=False)]
    return [f"< {' '.join(first)}", *middle, f"≥ {' '.join(last)}"]


def _consumer(row: ConsumerRow) -> dict[str, Any]:
    return {
        "consumer": row.consumer,
        "mode": "batch" if row.max_batch > 1 else "async",
        "max_batch": row.max_batch,
        "batches": row.batches,
        "received": row.received,
        "staged": row.staged,
        "duplicates": row.duplicates,
        "rejected": row.rejected,
        "failed": row.failed,
        "latency_ms_mean": row.latency_ms_sum // row.staged if row.staged else None,
        "latency_ms_max": row.latency_ms_max,
        "last_batch_at": _iso(row.last_finished_at),
    }


def _queue(reading: QueueReading, target: str) -> dict[str, Any]:
    def depth(found: QueueDepth | None) -> dict[str, int] | None:
        if found is None:
            return None
        return {"visible": found.visible, "in_flight": found.in_flight, "delayed": found.delayed}

    return {"target": target, "main": depth(reading.main), "dlq": depth(reading.dlq),
            "problem": reading.problem}  # fmt: skip


def _eod(run: EodRunRow | None, reports_dir: Path) -> dict[str, Any] | None:
    """The latest run: its steps from the committed row, or from its progress file while
    it runs (the run's own transaction shows nothing before its commit)."""
    if run is None:
        return None
    running = run.status == "running"
    timings = (
        read_progress(reports_dir, run.business_date, run.run_id) if running else run.timings_s
    )
    return {
        "business_date": run.business_date.isoformat(),
        "status": run.status,
        "attempt": run.attempt,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "steps": [{"name": name, "seconds": seconds} for name, seconds in timings.items()],
        "message": None if running else run.message,
    }


def _report(run: EodRunRow | None, reports_dir: Path) -> dict[str, str] | None:
    if run is None or not report_path(reports_dir, run.business_date).is_file():
        return None
    day = run.business_date.isoformat()
    return {"business_date": day, "href": f"/reports/{day}/report.html"}


def report_path(reports_dir: Path, day: date) -> Path:
    return reports_dir / day.isoformat() / "report.html"


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat(timespec="milliseconds") + "Z"
