"""Checking an import's lines in a worker process (`settlement.adapters.line_checks`): the
same lines in the same order, the same rejects, a broken file's rejects counted before its
error, a stopped writer stopping the worker, and the checking done here where no worker
can start."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import pytest

from settlement.adapters import line_checks
from settlement.adapters.chunk_transfer import Record
from settlement.adapters.imports import MAX_ERRORS_SHOWN, ImportReport
from settlement.adapters.line_checks import checked_lines
from settlement.domain.file_lines import LineReason, LineRejected
from tests.support.line_checks import upper_values

HEADER = ["value"]


def _records(values: list[str], broken_at: int | None = None) -> Iterator[Record]:
    for number, value in enumerate(values, start=2):
        if number == broken_at:
            raise ValueError(f"line {number}: unreadable CSV")
        yield number, HEADER, [value]


def _values(n: int) -> list[str]:
    return ["bad" if i % 5 == 3 else f"v{i}" for i in range(n)]


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(line_checks, "CHUNK_ROWS", 4)


def _run(
    values: list[str], broken_at: int | None = None
) -> tuple[list[tuple[int, str, int]], ImportReport]:
    report = ImportReport()
    lines = list(checked_lines(_records(values, broken_at), upper_values, report.reject))
    return lines, report


def test_lines_come_back_in_order_with_every_reject_checked_in_a_worker() -> None:
    values = _values(103)
    lines, report = _run(values)
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


def test_one_chunk_or_less_is_checked_here() -> None:
    lines, _ = _run(_values(3))
    assert {pid for _, _, pid in lines} == {os.getpid()}


def test_a_break_counts_the_rejects_of_every_line_before_it_then_raises() -> None:
    values = _values(60)
    for broken_at in (3, 5, 6, 23, 40, 61):  # first chunk, chunk edges, deep, last line
        report = ImportReport()
        with pytest.raises(ValueError, match=f"line {broken_at}: unreadable"):
            list(checked_lines(_records(values, broken_at), upper_values, report.reject))
        before = [v for n, v in enumerate(values, start=2) if n < broken_at]
        assert report.rejected == before.count("bad"), broken_at


def test_a_check_that_fails_fails_the_import() -> None:
    values = _values(30)
    values[17] = "boom"
    with pytest.raises(RuntimeError, match="check failed on line 19"):
        _run(values)


def test_a_writer_that_stops_early_stops_the_worker() -> None:
    report = ImportReport()
    lines = checked_lines(_records(_values(10_000)), upper_values, report.reject)
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
