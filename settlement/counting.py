"""The progress callback a slow library function takes, and the one way to feed it.

Below the entry points nothing draws progress (rich stays in settlement/cli/progress.py):
an import, the report writer or the simulator is handed a plain `ProgressCallback` and
calls it with how many items it has just got through. It is called per chunk, never per
row, so the hot loops stay as fast as without it; `counted` is how a stream is counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

ProgressCallback = Callable[[int], None]  # called with the number of items just handled
# A call every 10,000 items: on a million-line file 100 calls, each far under a millisecond.
PROGRESS_EVERY = 10_000


def counted(
    items: Iterable[T], progress: ProgressCallback | None, every: int = PROGRESS_EVERY
) -> Iterable[T]:
    """`items` unchanged, telling `progress` every `every` items and once for the rest at
    the end; without a callback, `items` itself (nothing added to the loop).

    Items are passed on one by one, never read ahead: a caller that names the line an
    error was raised on (a decode error, an unreadable CSV record) still names it."""
    if progress is None:
        return items
    if every < 1:
        raise ValueError(f"progress must be told every 1 item or more, got {every}")
    return _counting(items, progress, every)


def _counting(items: Iterable[T], progress: ProgressCallback, every: int) -> Iterator[T]:
    pending = 0
    for item in items:
        pending += 1  # counted when read, so a line that stops the import is counted too
        if pending == every:
            progress(pending)
            pending = 0
        yield item
    if pending:
        progress(pending)
