"""Checking an import's lines in a worker process (`settlement.adapters.line_checks`): the
same lines in the same order, the same rejects, a broken file's rejects counted before its
error, a stopped writer stopping the worker, and the checking done here where no worker
can start; with the lines in chunks of plain text, of parsed records (a quoted file), and
of both (quotes from some line on)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import pytest

from settlement.adapters import csv_chunks, line_checks
from settlement.adapters.csv_chunks import Chunk
from settlement.adapters.imports import MAX_ERRORS_SHOWN, ImportReport
from settlement.adapters.line_checks import checked_lines
from settlement.domain.file_lines import LineReason, LineRejected
from tests.support.line_checks import upper_values

NEVER, FROM_THE_START, MIDWAY = 10**9, 2, 23  # the first line number written quoted


@pytest.fixture(params=[NEVER, FROM_THE_START, MIDWAY], ids=["plain", "quoted", "both"])
def quoted_from(request: pytest.FixtureRequest) -> int:
    return int(request.param)


def _lines(values: list[str], quoted_from: int, broken_at: int | None) -> Iterator[str]:
    yield "value\n"
    for number, value in enumerate(values, start=2):
        if number == broken_at:
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
        yield f'"{value}"\n' if number >= quoted_from else f"{value}\n"


def _chunks(
    values: list[str], quoted_from: int = NEVER, broken_at: int | None = None
) -> Iterator[Chunk]:
    return csv_chunks.csv_chunks(_lines(values, quoted_from, broken_at), ["value"], ImportReport())


def _values(n: int) -> list[str]:
    return ["bad" if i % 5 == 3 else f"v{i}" for i in range(n)]


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_chunks, "CHUNK_LINES", 4)


def _run(
    values: list[str], quoted_from: int = NEVER
) -> tuple[list[tuple[int, str, int]], ImportReport]:
    report = ImportReport()
    lines = list(checked_lines(_chunks(values, quoted_from), upper_values, report.reject))
    return lines, report


def test_lines_come_back_in_order_with_every_reject_checked_in_a_worker(
    quoted_from: int,
) -> None:
    values = _values(103)
    lines, report = _run(values, quoted_from)
    assert [(n, v) for n, v, _ in lines] == [
        (n, v.upper()) for n, v in enumerate(values, start=2) if v != "bad"
    ]
    assert report.rejected == values.count("bad")
    assert (
        report.errors
        == [
            f"line {n}: invalid_field: bad {n}" for n, v in enumerate(values, start=2) if v == "bad"
        ][:MAX_ERRORS_SHOWN]
    )
    assert {pid for _, _, pid in lines} != {os.getpid()}  # a worker checked them


def test_one_chunk_or_less_is_checked_here(quoted_from: int) -> None:
    for count in (3, 4):  # less than a chunk; one whole chunk
        lines, _ = _run(_values(count), quoted_from)
        assert {pid for _, _, pid in lines} == {os.getpid()}, count


def test_a_break_counts_the_rejects_of_every_line_before_it_then_raises(
    quoted_from: int,
) -> None:
    values = _values(60)
    for broken_at in (3, 5, 6, 7, 23, 24, 40, 61):  # first chunk, edges, deep, last line
        report = ImportReport()
        chunks = _chunks(values, quoted_from, broken_at)
        with pytest.raises(ValueError, match=f"line {broken_at}: not UTF-8 text"):
            list(checked_lines(chunks, upper_values, report.reject))
        before = [v for n, v in enumerate(values, start=2) if n < broken_at]
        assert report.rejected == before.count("bad"), broken_at


def test_a_check_that_fails_fails_the_import() -> None:
    values = _values(30)
    values[17] = "boom"
    with pytest.raises(RuntimeError, match="check failed on line 19"):
        _run(values)


def test_a_writer_that_stops_early_stops_the_worker() -> None:
    report = ImportReport()
    lines = checked_lines(_chunks(_values(10_000)), upper_values, report.reject)
    assert next(lines)[0] == 2
    lines.close()  # type: ignore[attr-defined] # a generator  # the pool is shut down; nothing is left running
    assert report.rejected < 100
    assert multiprocessing.active_children() == []


def test_without_a_worker_process_the_lines_are_checked_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where POSIX semaphores are missing (AWS Lambda) the pool cannot start."""

    def no_pool(*_: object, **__: object) -> ProcessPoolExecutor:
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(line_checks, "ProcessPoolExecutor", no_pool)
    values = _values(41)
    lines, report = _run(values)
    assert len(lines) == len(values) - values.count("bad") == 41 - report.rejected
    assert {pid for _, _, pid in lines} == {os.getpid()}


def test_a_report_shows_the_lowest_numbered_rejects_in_order_whatever_order_they_came_in() -> None:
    report = ImportReport()
    for number in (50, 7, 31, 2, 99, 13, 8, 64, 3, 40, 12, 5, 77):
        report.reject(number, LineRejected(LineReason.INVALID_FIELD, f"x{number}"))
    shown = sorted((50, 7, 31, 2, 99, 13, 8, 64, 3, 40, 12, 5, 77))[:MAX_ERRORS_SHOWN]
    assert report.errors == [f"line {n}: invalid_field: x{n}" for n in shown]
    assert report.rejected == 13
