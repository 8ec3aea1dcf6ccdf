"""The EOD progress file is read by the live view from a reports directory other users may
write to: a planted or malformed file is "no steps yet", never a hang, a crash or a number
the page's JSON cannot carry."""

from __future__ import annotations

import json
import os
import threading
from datetime import date
from pathlib import Path

import pytest

from settlement.adapters.run_progress import ProgressFile, progress_path, read_progress

DAY = date(2026, 10, 14)
RUN = "run-1"


def _plant(reports_dir: Path, text: str) -> None:
    progress_path(reports_dir, DAY).write_text(text, encoding="utf-8")


def test_the_runs_own_file_is_read(tmp_path: Path) -> None:
    ProgressFile(tmp_path, DAY, RUN).publish({"load": 0.25, "match": 1.5})
    assert read_progress(tmp_path, DAY, RUN) == {"load": 0.25, "match": 1.5}


@pytest.mark.parametrize(
    "timings",
    ['{"a": NaN, "b": 1}', '{"a": Infinity, "b": 1}', '{"a": 1e999, "b": 1}',
     '{"a": 1' + "0" * 400 + ', "b": 1}', '{"a": true, "b": 1}'],
)  # fmt: skip
def test_non_finite_or_huge_seconds_are_left_out(tmp_path: Path, timings: str) -> None:
    _plant(tmp_path, f'{{"run_id": "{RUN}", "timings": {timings}}}')
    steps = read_progress(tmp_path, DAY, RUN)
    assert steps == {"b": 1.0}
    json.dumps(steps, allow_nan=False)  # what the live view's JSONResponse does


def test_deeply_nested_json_is_no_steps(tmp_path: Path) -> None:
    _plant(tmp_path, "[" * 100_000 + "]" * 100_000)
    assert read_progress(tmp_path, DAY, RUN) == {}


def test_a_file_far_bigger_than_a_run_writes_is_not_read(tmp_path: Path) -> None:
    _plant(tmp_path, json.dumps({"run_id": RUN, "timings": {"a": 1}}) + " " * 1_000_000)
    assert read_progress(tmp_path, DAY, RUN) == {}


def test_a_link_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps({"run_id": RUN, "timings": {"forged": 1}}))
    progress_path(tmp_path, DAY).symlink_to(elsewhere)
    assert read_progress(tmp_path, DAY, RUN) == {}


def test_a_fifo_does_not_hang_the_reader(tmp_path: Path) -> None:
    os.mkfifo(progress_path(tmp_path, DAY))
    found: list[dict[str, float]] = []
    reader = threading.Thread(target=lambda: found.append(read_progress(tmp_path, DAY, RUN)))
    reader.daemon = True
    reader.start()
    reader.join(10)  # returns at once when fixed; a blocked open never would
    if reader.is_alive():  # unblock the reader so the test process can end
        with open(progress_path(tmp_path, DAY), "w"):  # noqa: PTH123
            pass
    assert found == [{}]
