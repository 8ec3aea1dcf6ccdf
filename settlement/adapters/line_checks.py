"""Checking an import's lines in a worker process while this process writes them.

A journal line costs about as much to check (Python: the grammar, the amount, the times,
the card-number scan) as to insert (SQLite's B-trees, C without the GIL): done in turn on
one core, the import took twice its raw insert. Here the importing process reads the CSV
records (C, cheap) and hands them, 10,000 at a time, to a worker process that checks them;
the checked lines come back in file order and are written while the worker checks the
next chunks (both ways in the cheap shapes of `chunk_transfer`). Threads would not do: the
writer's driver takes the GIL back for every row it binds, and a checking thread holding it
made the inserts three times slower (measured).

What a reader sees is what checking in one process gave: the same lines in the same order,
the same rejects with the same line numbers (a report keeps the lowest-numbered ones,
whatever order they come back in), and when the CSV itself breaks mid-file, the rejects of
every line before the break are counted before the error goes on up. A stream of one chunk
or less is checked here, without a worker, and so is every stream on a one-core machine or
where a worker process cannot start.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Generic, TypeVar

from settlement.adapters.chunk_transfer import PackedRecords, Record, packed, pickled
from settlement.domain.file_lines import LineReason, LineRejected

T = TypeVar("T")
CHUNK_ROWS = 10_000  # records a worker checks at once (read at call time: tests shrink it)
IN_FLIGHT = 3  # chunks handed out ahead of the writer: the worker never waits for it


@dataclass(slots=True)
class CheckedChunk(Generic[T]):
    """A chunk's good lines in order, and its rejects as (line number, reason, detail):
    `LineRejected` itself does not survive pickling (its arguments are not its args)."""

    lines: list[T] = field(default_factory=list)
    rejects: list[tuple[int, LineReason, str]] = field(default_factory=list)

    def reject(self, number: int, problem: LineRejected) -> None:
        self.rejects.append((number, problem.reason, problem.detail))


ChunkCheck = Callable[[Iterable[Record]], CheckedChunk[T]]  # module-level, or a partial of one
Reject = Callable[[int, LineRejected], None]


def checked_lines(records: Iterable[Record], check: ChunkCheck[T], reject: Reject) -> Iterator[T]:
    """The good lines of `records`, in order, checked by `check` in a worker process when
    there is more than one chunk; each rejected line is told to `reject`. What reading
    `records` raises is raised once every line read before it has been checked."""
    stream = iter(records)
    first, broken = _take(stream)
    pool = None if broken is not None or len(first) < CHUNK_ROWS else _worker_pool()
    if pool is None:
        yield from _here(first, broken, stream, check, reject)
        return
    with pool:
        yield from _in_worker(pool, first, stream, check, reject)


def _take(stream: Iterator[Record]) -> tuple[list[Record], Exception | None]:
    """The next chunk, and what stopped it short if reading failed (the records read
    before the failure are kept: their rejects count)."""
    chunk: list[Record] = []
    try:
        chunk.extend(islice(stream, CHUNK_ROWS))
    except Exception as error:  # noqa: BLE001 - handed back, raised after the checking
        return chunk, error
    return chunk, None


def _here(
    chunk: list[Record],
    broken: Exception | None,
    stream: Iterator[Record],
    check: ChunkCheck[T],
    reject: Reject,
) -> Iterator[T]:
    while True:
        lines = _accepted(check(chunk), reject)
        if broken is not None:
            raise broken
        yield from lines
        if len(chunk) < CHUNK_ROWS:
            return
        chunk, broken = _take(stream)


def _worker_pool() -> ProcessPoolExecutor | None:
    """One worker process, or None where it would not help (one core) or cannot start (no
    POSIX semaphores, as in AWS Lambda): the lines are then checked here, chunk by chunk."""
    if (os.cpu_count() or 1) < 2:
        return None
    try:  # forked: the worker needs nothing imported again
        return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    except OSError:
        return None


def _in_worker(
    pool: ProcessPoolExecutor,
    chunk: list[Record],
    stream: Iterator[Record],
    check: ChunkCheck[T],
    reject: Reject,
) -> Iterator[T]:
    pending: deque[Future[bytes]] = deque()
    try:
        while chunk:
            pending.append(pool.submit(_check_there, check, packed(chunk)))
            if len(pending) >= IN_FLIGHT:
                yield from _accepted(_result(pending.popleft()), reject)
            chunk, broken = _take(stream)
            if broken is not None:  # the lines before the break were all checked
                for future in pending:
                    _accepted(_result(future), reject)
                _accepted(check(chunk), reject)
                raise broken
    except GeneratorExit:  # the writer stopped: nothing more is wanted
        for future in pending:
            future.cancel()
        raise
    while pending:
        yield from _accepted(_result(pending.popleft()), reject)


def _check_there(check: ChunkCheck[T], chunk: PackedRecords | list[Record]) -> bytes:
    """In the worker: the chunk checked, its result in the shape that crosses back cheaply
    (`chunk_transfer`)."""
    checked = check(chunk)
    return pickled(checked, checked.lines[0] if checked.lines else None)


def _result(future: Future[bytes]) -> CheckedChunk[T]:
    checked: CheckedChunk[T] = pickle.loads(future.result())
    return checked


def _accepted(chunk: CheckedChunk[T], reject: Reject) -> list[T]:
    for number, reason, detail in chunk.rejects:
        reject(number, LineRejected(reason, detail))
    return chunk.lines
