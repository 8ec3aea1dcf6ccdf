"""The second process's plumbing (settlement/second_process.py): what the parent hears from
a child that finishes, fails or dies, and the one-line reasons."""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.connection import Connection

from settlement import second_process
from settlement.second_process import Message, Tell


def _counts(job: int, tell: Tell) -> Message:
    for n in range(job):
        tell(("rows", n))
    return ("done", job)


def _fails(_job: object, _tell: Tell) -> Message:
    raise RuntimeError("line one\nline two " + "x" * 500)


def _count_then_report(job: int, pipe: Connection) -> None:
    second_process.report_to_parent(pipe, lambda tell: _counts(job, tell))


def _fail_then_report(job: object, pipe: Connection) -> None:
    second_process.report_to_parent(pipe, lambda tell: _fails(job, tell))


def _dies(_job: object, _pipe: Connection) -> None:
    os._exit(7)


def test_the_parent_hears_the_childs_words_then_its_result() -> None:
    child = second_process.start(_count_then_report, 3, "test-child")
    try:
        heard = [child.receive() for _ in range(4)]
    finally:
        child.stop()
    assert heard == [("rows", 0), ("rows", 1), ("rows", 2), ("done", 3)]
    assert multiprocessing.active_children() == []


def test_a_failing_child_says_why_in_one_line() -> None:
    child = second_process.start(_fail_then_report, None, "test-child")
    try:
        kind, why = child.receive() or ("none", "")
    finally:
        child.stop()
    assert kind == second_process.FAILED
    assert why.startswith("line one line two xxx") and "\n" not in why
    assert len(why) == 300 and why.endswith("...")


def test_a_child_that_dies_is_heard_as_gone_with_its_exit_code() -> None:
    child = second_process.start(_dies, None, "test-child")
    try:
        assert child.receive() is None
        assert child.gone() == "it stopped (exit code 7)"
    finally:
        child.stop()


def test_an_error_without_text_is_named_by_its_type() -> None:
    assert second_process.one_line(KeyError()) == "KeyError"
    assert second_process.one_line(ValueError("  a\tb\r\nc  ")) == "a b c"
