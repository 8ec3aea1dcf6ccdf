"""compare.json and lesson.json sit in the reports directory, which other users and other
runs may write: whatever is planted there, the report refuses it with its one-line error
(the CLI's "error: ..."), never an "unexpected OverflowError/RecursionError" or a page
showing "nan"/"inf"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from settlement.reports.comparison import ComparisonFormatError, load_comparison
from settlement.reports.lesson import LessonFormatError, load_lesson

MODE = {
    "mode": "async", "batch_size": 1, "batch_window_s": 0.0, "messages": 10, "staged": 10,
    "seconds": 1.0, "throughput_msg_s": 10.0, "latency_ms_p50": 1.0, "latency_ms_p95": 2.0,
    "latency_ms_p99": 3.0, "latency_ms_max": 4.0, "sqs_requests": {"ReceiveMessage": 3},
    "sqs_requests_total": 3, "sqs_cost_usd": "0.0000012",
    "sqs_cost_usd_per_million_messages": "0.12", "staleness_s": 0.5,
}  # fmt: skip
HOSTILE = ("NaN", "Infinity", "-Infinity", "1e999", "-1e999")


def _comparison(value: str) -> str:
    return json.dumps({"messages": 10, "tps": 10.0, "modes": [MODE]}).replace(
        '"throughput_msg_s": 10.0', f'"throughput_msg_s": {value}'
    )


def test_the_well_formed_comparison_loads(tmp_path: Path) -> None:
    path = tmp_path / "compare.json"
    path.write_text(_comparison("10.0"))
    loaded = load_comparison(path)
    assert loaded is not None and loaded.modes[0].throughput_msg_s == 10.0


@pytest.mark.parametrize("value", HOSTILE)
def test_a_non_finite_comparison_figure_is_refused(tmp_path: Path, value: str) -> None:
    path = tmp_path / "compare.json"
    path.write_text(_comparison(value))
    with pytest.raises(ComparisonFormatError, match="not a compare-modes result"):
        load_comparison(path)


def test_an_integer_field_of_1e999_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "compare.json"
    path.write_text(json.dumps({"messages": 10, "tps": 1.0, "modes": []}).replace("10", "1e999"))
    with pytest.raises(ComparisonFormatError):
        load_comparison(path)


@pytest.mark.parametrize("name", ["compare.json", "lesson.json"])
def test_a_deeply_nested_document_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("[" * 100_000 + "]" * 100_000)
    error = ComparisonFormatError if name == "compare.json" else LessonFormatError
    with pytest.raises(error):
        (load_comparison if name == "compare.json" else load_lesson)(path)


@pytest.mark.parametrize("value", HOSTILE)
def test_a_non_finite_lesson_figure_is_refused(tmp_path: Path, value: str) -> None:
    path = tmp_path / "lesson.json"
    path.write_text(f'{{"schema": "cardsettle.lesson.v1", "compute": {value}}}')
    with pytest.raises(LessonFormatError, match="not a `settlement lesson` result"):
        load_lesson(path)


def test_a_comparison_of_no_modes_is_refused(tmp_path: Path) -> None:
    """The page's transport table reads its rows from the first mode: an empty list was an
    'unexpected UndefinedError' from the template."""
    path = tmp_path / "compare.json"
    path.write_text(json.dumps({"messages": 0, "tps": 1.0, "modes": []}))
    with pytest.raises(ComparisonFormatError, match="no modes"):
        load_comparison(path)
