"""Reading a CSV in chunks (`csv_chunks`: plain lines as one text, split where they are
checked) gives what `csv.reader` gives (`csv_records`): the same records with the same
line numbers, the same wrong-field-count rejects, the same count of lines read and the same
file error at the same line, whatever the lines hold and however they are chunked."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.adapters import csv_chunks
from settlement.adapters.csv_chunks import (
    ImportFileError,
    PlainLines,
    Record,
    csv_records,
    records_of,
)
from settlement.domain.file_lines import LineRejected

COLUMNS = ("a", "b", "c")


class Tally:
    def __init__(self) -> None:
        self.read = 0
        self.rejects: list[tuple[int, str]] = []

    def reject(self, line_no: int, problem: LineRejected) -> None:
        self.rejects.append((line_no, str(problem)))


Outcome = tuple[list[Record], list[tuple[int, str]], int, str | None]


def _by_csv(lines: Iterable[str]) -> Outcome:
    tally, records, error = Tally(), list[Record](), None
    try:
        records.extend(csv_records(lines, COLUMNS, tally))
    except ImportFileError as problem:
        error = str(problem)
    return records, sorted(tally.rejects), tally.read, error


def _by_chunks(lines: Iterable[str]) -> tuple[Outcome, list[object]]:
    tally, records, error, shapes = Tally(), list[Record](), None, list[object]()
    try:
        for chunk in csv_chunks.csv_chunks(lines, COLUMNS, tally):
            shapes.append(type(chunk))
            records.extend(records_of(chunk, tally.reject))
    except ImportFileError as problem:
        error = str(problem)
    return (records, sorted(tally.rejects), tally.read, error), shapes


# What a hostile or careless file holds: separators, quotes, every line end, NUL, the
# ASCII unit and record separators, Unicode line breaks, other scripts' digits, spaces.
_CHARS = st.sampled_from(list('ab1,"\r\n \t\x00\x1c\x1e\x1f\x85\u2028\u0661\ufeff'))
_LINE = st.text(_CHARS, max_size=12)
_ENDING = st.sampled_from(["\n", "\r\n", "\r", ""])


@st.composite
def _files(draw: st.DrawFn) -> list[str]:
    header = draw(st.sampled_from(["a,b,c\n", "c,a,b\r\n", "\ufeffa,b,c\n", "a,b\n", ""]))
    body = draw(st.lists(st.tuples(_LINE, _ENDING), max_size=14))
    lines = [header] if header else []
    if draw(st.booleans()):  # as a file iterator gives them: each ends "\n" but the last
        *ended, last = "".join(line + ending for line, ending in body).split("\n")
        lines.extend([*(line + "\n" for line in ended), *([last] if last else [])])
    else:  # as a caller's list may: no line end, an empty line, lines run together
        lines.extend(line + ending for line, ending in body)
    return lines


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_chunks, "CHUNK_LINES", 3)


@settings(max_examples=400)
@given(_files())
def test_chunks_read_what_csv_reader_reads(lines: list[str]) -> None:
    expected = _by_csv(lines)
    got, _ = _by_chunks(lines)
    assert got == expected


@settings(max_examples=200)
@given(st.lists(st.tuples(st.text("ab1 \u0661", max_size=4), st.text("ab1 ", max_size=4)),
                max_size=12))  # fmt: skip
def test_a_file_without_quotes_goes_as_plain_lines(rows: list[tuple[str, str]]) -> None:
    lines = ["a,b,c\n", *(f"{x},{y},z\n" for x, y in rows)]
    got, shapes = _by_chunks(lines)
    assert got == _by_csv(lines)
    assert set(shapes) <= {PlainLines}


def test_a_quote_sends_its_block_and_every_line_after_it_through_csv() -> None:
    lines = ["a,b,c\n", "1,2,3\n", "4,5,6\n", "7,8,9\n", '"x,y",2,3\n', "1,2,3\n", "1,2\n"]
    got, shapes = _by_chunks(lines)
    assert shapes == [PlainLines, list]
    assert got == _by_csv(lines)
    assert got[0][3] == (5, ["a", "b", "c"], ["x,y", "2", "3"])
    assert got[1] == [(7, "wrong_field_count: 2 fields where the header has 3")]


def test_crlf_lines_stay_plain_and_lose_their_line_ends() -> None:
    lines = ["a,b,c\r\n", "1,2,3\r\n", "\r\n", "4,5,6\r\n"]
    got, shapes = _by_chunks(lines)
    assert shapes == [PlainLines]
    records = [(2, ["a", "b", "c"], ["1", "2", "3"]), (4, ["a", "b", "c"], ["4", "5", "6"])]
    assert got == _by_csv(lines) == (records, [], 2, None)


def test_a_line_past_csvs_field_limit_is_the_same_file_error() -> None:
    long = "x" * (csv.field_size_limit() + 1)
    lines = ["a,b,c\n", "1,2,3\n", f"{long},2,3\n"]
    got, _ = _by_chunks(lines)
    assert got == _by_csv(lines)
    assert got[3] is not None and "field larger than field limit" in got[3]


def _undecodable(lines: list[str], at: int) -> Iterator[str]:
    for number, line in enumerate(lines, start=1):
        if number == at:
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
        yield line


@pytest.mark.parametrize("at", [2, 3, 4, 5, 8, 9])
@pytest.mark.parametrize("quoted", [False, True])
def test_undecodable_text_keeps_the_lines_before_it_and_names_its_line(
    at: int, quoted: bool
) -> None:
    lines = ["a,b,c\n", *(f"{n},{n},{n}\n" for n in range(8))]
    if quoted:
        lines[3] = '"q",1,2\n'
    got, _ = _by_chunks(list(_undecodable(lines, len(lines) + 1)))
    tally, records = Tally(), list[Record]()
    with pytest.raises(ImportFileError, match=f"^line {at}: not UTF-8 text$"):
        for chunk in csv_chunks.csv_chunks(_undecodable(lines, at), COLUMNS, tally):
            records.extend(records_of(chunk, tally.reject))
    assert records == got[0][: at - 2]


@pytest.mark.parametrize(
    ("lines", "error"),
    [
        ([], "empty file: expected the header a,b,c"),
        (["a;b;c\n", "1;2;3\n"], "the header must be: a,b,c (got 'a;b;c')"),
        (["a,b,c\n", "\n", "\r\n"], "no lines after the header a,b,c"),
        (["a,b,c\n", '"1,2,3\n'], "line 2: unreadable CSV (unexpected end of data)"),
    ],
)
def test_file_errors_are_csvs(lines: list[str], error: str) -> None:
    assert _by_csv(lines)[3] == _by_chunks(lines)[0][3] == error


def test_an_empty_string_among_the_lines_is_a_blank_line() -> None:
    for lines in (["a,b,c\n", "1,2,3\n", ""], ["a,b,c\n", "1,2,3\n", "4,5,6\n", "", "7,8,9\n"]):
        got, _ = _by_chunks(lines)
        assert got == _by_csv(lines)
        assert got[2] == len(lines) - 2


@pytest.mark.parametrize(
    "raw",
    [
        b'a,b,c\n1,2,3\n4,"5\n\xff\n',  # a quote still open at the undecodable line
        b'a,b,c\n1,2,3\n4,"5\n6",7\n\xff\n',
        b"a,b,c\n1,2,3\n\xff\n7,8,9\n",
        b'a,b,c\n"1\n\xff\n',
    ],
)
@pytest.mark.parametrize("chunk_lines", [1, 2, 3, 10_000])
def test_undecodable_text_after_an_open_quote_is_the_same_error(
    raw: bytes, chunk_lines: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_chunks, "CHUNK_LINES", chunk_lines)

    def decoded() -> Iterator[str]:
        for line in raw.splitlines(keepends=True):
            yield line.decode("utf-8")

    expected = _by_csv(decoded())
    assert _by_chunks(decoded())[0] == expected
    assert expected[3] is not None and "not UTF-8 text" in expected[3]
