"""Checking an import's lines in worker processes while this process writes them.

A journal line costs about as much to check (Python: the grammar, the amount, the times,
the card-number scan) as to insert (SQLite's B-trees, C without the GIL): done in turn on
one core, the import took twice its raw insert. Here the importing process reads the file
in chunks of lines (`csv_chunks`: plain lines as one text, else parsed records) and hands
them to worker processes that check them; the checked lines come back in file order and
are written while the workers check the next chunks (both ways in the cheap shapes of
`chunk_transfer`). Threads would not do: the writer's driver takes the GIL back for every
row it binds, and a checking thread holding it made the inserts three times slower
(measured).

What a reader sees is what checking in one process gave: the same lines in the same order,
the same rejects with the same line numbers (a report keeps the lowest-numbered ones,
whatever order they come back in), and when the file breaks mid-way, the rejects of every
line before the break are counted before the error goes on up. A file of one chunk is
checked here, without a worker, and so is every file on a one-core machine or where a
worker process cannot start.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from typing import Generic, TypeVar

from settlement.adapters.chunk_transfer import PackedRecords, packed, pickled
from settlement.adapters.csv_chunks import Chunk, PlainLines, Record, Reject
from settlement.domain.file_lines import LineReason, LineRejected

T = TypeVar("T")
IN_FLIGHT = 3  # chunks handed out ahead of the writer: no worker waits for it
# Two, even on two cores: the writer is not busy all the time (it waits for the next checked
# chunk, and SQLite for the disk), and a million-line import took 6.8-7.4 s with two
# against 7.1-8.0 s with one, alternating (`settlement journal import`, 2026-12-05); when
# the importing process still parsed the CSV, a second worker gained nothing.
WORKERS = 2


@dataclass(slots=True)
class CheckedChunk(Generic[T]):
    """A chunk's good lines in order, and its rejects as (line number, reason, detail):
    `LineRejected` itself does not survive pickling (its arguments are not its args)."""

    lines: list[T] = field(default_factory=list)
    rejects: list[tuple[int, LineReason, str]] = field(default_factory=list)

    def reject(self, number: int, problem: LineRejected) -> None:
        self.rejects.append((number, problem.reason, problem.detail))


Sent = PlainLines | PackedRecords | list[Record]  # a chunk as the worker gets it
ChunkCheck = Callable[[Sent], CheckedChunk[T]]  # module-level, or a partial of one


def checked_lines(chunks: Iterable[Chunk], check: ChunkCheck[T], reject: Reject) -> Iterator[T]:
    """The good lines of `chunks`, in order, checked by `check` in worker processes when
    there is more than one chunk; each rejected line is told to `reject`. What reading
    `chunks` raises is raised once every line read before it has been checked."""
    stream = iter(chunks)
    first, broken = _next(stream)
    second, broken = (None, broken) if first is None or broken else _next(stream)
    ahead = [chunk for chunk in (first, second) if chunk is not None]
    pool = _worker_pool() if second is not None else None
    if pool is None:
        yield from _here(ahead, broken, stream, check, reject)
        return
    with pool:
        yield from _in_worker(pool, chain(ahead, stream), check, reject)


def _next(stream: Iterator[Chunk]) -> tuple[Chunk | None, Exception | None]:
    """The next chunk (None at the end), or what reading it raised."""
    try:
        return next(stream, None), None
    except Exception as error:  # noqa: BLE001 - handed back, raised after the checking
        return None, error


def _here(
    ahead: list[Chunk],
    broken: Exception | None,
    stream: Iterator[Chunk],
    check: ChunkCheck[T],
    reject: Reject,
) -> Iterator[T]:
    for chunk in ahead:
        yield from _accepted(check(chunk), reject)
    if broken is not None:
        raise broken
    for chunk in stream:
        yield from _accepted(check(chunk), reject)


def _worker_pool() -> ProcessPoolExecutor | None:
    """WORKERS worker processes, or None where they would not help (one core) or cannot
    start (no POSIX semaphores, as in AWS Lambda): the lines are then checked here, chunk by
    chunk."""
    if (os.cpu_count() or 1) < 2:
        return None
    try:  # forked: the workers need nothing imported again
        return ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("fork"))
    except OSError:
        return None


def _in_worker(
    pool: ProcessPoolExecutor, stream: Iterator[Chunk], check: ChunkCheck[T], reject: Reject
) -> Iterator[T]:
    pending: deque[Future[bytes]] = deque()
    try:
        while True:
            chunk, broken = _next(stream)
            if broken is not None:  # the lines before the break were all checked
                for future in pending:
                    _accepted(_result(future), reject)
                raise broken
            if chunk is None:
                break
            sent = chunk if isinstance(chunk, PlainLines) else packed(chunk)
            pending.append(pool.submit(_check_there, check, sent))
            if len(pending) >= IN_FLIGHT:
                yield from _accepted(_result(pending.popleft()), reject)
    except GeneratorExit:  # the writer stopped: nothing more is wanted
        for future in pending:
            future.cancel()
        raise
    while pending:
        yield from _accepted(_result(pending.popleft()), reject)


def _check_there(check: ChunkCheck[T], chunk: Sent) -> bytes:
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
