"""Reading a capture file (`messages.jsonl`): one message body a line.

Lines end at "\n" (a "\r" before it is dropped, for CRLF files) and are numbered from 1,
blank ones included. Bytes that are not UTF-8 become U+FFFD: an SQS body must be Unicode
text, and a line garbled that way then travels like any other and is rejected if the bytes
fell in a validated field (all of them are ASCII), instead of failing the whole ingest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

NumberedBody = tuple[int, str]


def read_bodies(path: Path) -> Iterator[NumberedBody]:
    """(line number, body) for every non-empty line, as the terminal sent it."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if body := _body(line.decode("utf-8", "replace")):
                yield number, body


@dataclass(frozen=True, slots=True)
class LineRun:
    """Consecutive lines of a capture: the first one's number and where their bytes lie."""

    first_line: int
    start: int
    end: int


def line_runs(path: Path, size: int) -> Iterator[LineRun]:
    """The capture in runs of `size` lines, found without decoding a byte: a worker process
    reads its own run (`read_run`) instead of being sent every body, which cost the sending
    process ~2 us a message (measured)."""
    first, start, end, count = 1, 0, 0, 0
    with path.open("rb") as lines:
        for line in lines:
            end += len(line)
            count += 1
            if count == size:
                yield LineRun(first, start, end)
                first, start, count = first + count, end, 0
    if count:
        yield LineRun(first, start, end)


def read_run(path: Path, run: LineRun) -> list[NumberedBody]:
    """One run's (line number, body) pairs, as `read_bodies` gives them."""
    with path.open("rb") as data:
        data.seek(run.start)
        text = data.read(run.end - run.start).decode("utf-8", "replace")
    # "\n" is never part of a multi-byte sequence, valid or broken: decoding the run at once
    # gives what decoding line by line gives.
    numbered = enumerate(text.split("\n"), start=run.first_line)
    return [(number, body) for number, line in numbered if (body := _body(line))]


def _body(line: str) -> str:
    return line.removesuffix("\n").removesuffix("\r")
