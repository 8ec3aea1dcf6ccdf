"""Reading an import's CSV: the header checked first, then its records, one by one
(`csv_records`) or in chunks for a worker process to check (`csv_chunks`).

Most files quote nothing, and then each line is one record whose values are its text split
at the commas: what `csv.reader` reads from it, character for character. `csv_chunks` sends
such a run of lines on as its text (`PlainLines`), split where it is checked (in the worker
processes that check a journal, `line_checks`), so the importing process, which writes, only
joins lines: reading a million-line journal took that process 1.42 s parsed and packed for
the workers, 0.32 s joined (docs/master-data.md, "Plain lines as text, two workers"). A
block of lines holding anything `csv.reader` reads otherwise goes, with every line after it,
through `csv.reader`: a quote (a value may hold a comma or span lines), a carriage return
that does not end a line, a NUL, a line longer than csv's field limit (which it refuses), a
line without its line end. Both paths number the lines alike, skip blank lines, count the
lines read and reject a record whose field count is not the header's, with the same words.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice, repeat
from typing import Any, Protocol

from settlement.domain.file_lines import LineReason, LineRejected, preview

CHUNK_LINES = 10_000  # lines a chunk holds (records, past a quote); read at call time
Record = tuple[int, list[str], list[str]]  # first line number, header, unstripped values
Reject = Callable[[int, LineRejected], None]


class ImportFileError(ValueError):
    """A file that cannot be read as the expected CSV at all; one line."""


class LineTally(Protocol):
    """Where the lines read and the records refused are counted (an import's report)."""

    read: int

    def reject(self, line_no: int, problem: LineRejected) -> None: ...


@dataclass(frozen=True, slots=True)
class PlainLines:
    """Consecutive lines that `csv.reader` would split at their commas and nowhere else,
    as one text: no quote, NUL or lone carriage return, each line ending "\\n" (the last
    may not). Blank lines are in it, and skipped when read."""

    header: list[str]
    first: int  # the first line's number
    text: str

    def lines(self) -> Iterator[tuple[int, str]]:
        """Each line that is not blank, with its number, without its line end."""
        for number, line in enumerate(self.text.split("\n"), self.first):
            if line:
                yield number, line

    def values(self, line: str) -> list[str]:
        """A line's values; raises `LineRejected` when they are not one per column."""
        values = line.split(",")
        if len(values) != len(self.header):
            raise wrong_field_count(values, self.header)
        return values

    def records(self, reject: Reject) -> Iterator[Record]:
        header = self.header
        for number, line in self.lines():
            try:
                yield number, header, self.values(line)
            except LineRejected as problem:
                reject(number, problem)


Chunk = PlainLines | list[Record]


def records_of(chunk: PlainLines | Iterable[Record], reject: Reject) -> Iterator[Record]:
    """A chunk's records whatever its shape; a plain line with the wrong number of values is
    told to `reject` (a parsed record's count was checked as it was read)."""
    if isinstance(chunk, PlainLines):
        return chunk.records(reject)
    return iter(chunk)


def wrong_field_count(values: Sequence[str], header: Sequence[str]) -> LineRejected:
    problem = f"{len(values)} fields where the header has {len(header)}"
    return LineRejected(LineReason.WRONG_FIELD_COUNT, problem)


def csv_records(lines: Iterable[str], columns: Sequence[str], tally: LineTally) -> Iterator[Record]:
    """Each record after a checked header, through `csv.reader`. Raises `ImportFileError`
    for an unreadable file; a record with the wrong number of fields is rejected here."""
    reader = csv.reader(lines, strict=True)
    with _readable(reader, 0):
        header = _checked_header(reader, columns)
        yield from _parsed(reader, header, 0, tally)
    _check_some_read(tally, columns)


def csv_chunks(lines: Iterable[str], columns: Sequence[str], tally: LineTally) -> Iterator[Chunk]:
    """The records after a checked header in chunks of CHUNK_LINES lines: `PlainLines` while
    the lines allow, lists of parsed records from the first block that does not. Where the
    file turns out unreadable, the chunk read before the break comes first, then
    `ImportFileError`."""
    source = iter(lines)
    reader = csv.reader(source, strict=True)
    with _readable(reader, 0):
        header = _checked_header(reader, columns)
    done = reader.line_num  # the lines read so far
    while True:
        block: list[str] = []
        try:
            block.extend(islice(source, CHUNK_LINES))
        except UnicodeDecodeError as error:  # csv.reader meets it where it would have
            yield from _parsed_chunks(chain(block, _failing(error)), header, done, tally)
            return  # not reached: the line that is not UTF-8 is a file error
        text = "".join(block)
        if not _plain(block, text):
            yield from _parsed_chunks(chain(block, source), header, done, tally)
            break
        if block:
            tally.read += len(block) - sum(map(block.count, ("\n", "\r\n", "")))
            yield PlainLines(header, done + 1, text.replace("\r\n", "\n"))
        done += len(block)
        if len(block) < CHUNK_LINES:
            break
    _check_some_read(tally, columns)


def _failing(error: UnicodeDecodeError) -> Iterator[str]:
    """Lines that end in `error`: after the block read before it, csv.reader meets the
    undecodable line as it would have in the file (an open quote still ends in it)."""
    raise error
    yield  # a generator: raises when read, not when made


def _plain(block: list[str], text: str) -> bool:
    """True when each line of `block` (joined: `text`) is what `csv.reader` splits at its
    commas alone."""
    if not block:
        return True
    line_ends = sum(map(str.endswith, block, repeat("\n")))
    return (
        '"' not in text
        and "\0" not in text
        and text.count("\r") == text.count("\r\n")
        and text.count("\n") == line_ends >= len(block) - 1
        and (line_ends == len(block) or not block[-1].endswith("\n"))
        and max(map(len, block)) <= csv.field_size_limit()
    )


def _parsed_chunks(
    lines: Iterable[str], header: list[str], done: int, tally: LineTally
) -> Iterator[list[Record]]:
    """The records of `lines` (which follow line `done`) through `csv.reader`, in chunks;
    when reading breaks, the records before the break come first, then the error."""
    reader = csv.reader(lines, strict=True)
    records = _parsed(reader, header, done, tally)
    chunk: list[Record] = []
    with _readable(reader, done):
        try:
            while True:
                chunk = []
                chunk.extend(islice(records, CHUNK_LINES))
                if chunk:
                    yield chunk
                if len(chunk) < CHUNK_LINES:
                    return
        except (UnicodeDecodeError, csv.Error):
            if chunk:
                yield chunk
            raise


def _parsed(reader: Any, header: list[str], done: int, tally: LineTally) -> Iterator[Record]:
    end, fields = done + reader.line_num, len(header)
    for values in reader:
        start, end = end + 1, done + reader.line_num
        if not values:  # a blank line
            continue
        tally.read += 1
        if len(values) != fields:
            tally.reject(start, wrong_field_count(values, header))
            continue
        yield start, header, values


def _checked_header(reader: Any, columns: Sequence[str]) -> list[str]:
    header = [name.strip() for name in next(reader, [])]
    if not header:
        raise ImportFileError(f"empty file: expected the header {','.join(columns)}")
    header[0] = header[0].removeprefix("\ufeff")  # a BOM the reader's encoding left
    if sorted(set(header) & set(columns)) != sorted(columns) or len(set(header)) < len(header):
        got = preview(",".join(header))
        raise ImportFileError(f"the header must be: {','.join(columns)} (got {got})")
    return header


def _check_some_read(tally: LineTally, columns: Sequence[str]) -> None:
    if not tally.read:
        raise ImportFileError(f"no lines after the header {','.join(columns)}")


@contextmanager
def _readable(reader: Any, done: int) -> Iterator[None]:
    """What breaks `reader` (following line `done`) as one `ImportFileError` line."""
    try:
        yield
    except UnicodeDecodeError:
        raise ImportFileError(f"line {done + reader.line_num + 1}: not UTF-8 text") from None
    except csv.Error as error:
        raise ImportFileError(f"line {done + reader.line_num}: unreadable CSV ({error})") from None
