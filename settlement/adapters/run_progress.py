"""An end-of-day run's completed steps, visible to readers while the run goes on.

The run does its work in ONE database transaction (settlement/eod/run.py), so a reader of
the database sees none of it until the commit. Writing each step to the `eod_runs` row on a
second connection cannot work: on SQLite the run holds the only write lock, so that UPDATE
would wait out the busy timeout and fail; on PostgreSQL the run reads under REPEATABLE READ,
so its own closing UPDATE of a row changed since its snapshot would fail with a
serialization error. So the steps go to a small file beside the payout files instead,
`<reports_dir>/.eod-progress-<date>.json`, replaced whole after each step (write a temporary
file, rename it over) and removed when the run ends, committed or rolled back: the committed
`eod_runs.timings_json` says the rest. The file names its run, so a reader matches it to the
run the guard row names and ignores one a killed run left behind.

It is advice for the live view, never input to anything: a file that cannot be written is
skipped (the run goes on), one that cannot be read is "no steps yet".
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

# A run's file is ~200 bytes plus ~40 a step; anything far bigger was not written by a run.
_MAX_PROGRESS_BYTES = 64 * 1024


def progress_path(reports_dir: Path, business_date: date) -> Path:
    return reports_dir / f".eod-progress-{business_date.isoformat()}.json"


@dataclass(frozen=True, slots=True)
class ProgressFile:
    """Where one run publishes its step timings (seconds each, in the order done)."""

    reports_dir: Path
    business_date: date
    run_id: str

    @property
    def path(self) -> Path:
        return progress_path(self.reports_dir, self.business_date)

    def publish(self, timings_s: Mapping[str, float]) -> None:
        """Replace the file with the steps done so far: one write of ~200 bytes a step."""
        body = {"run_id": self.run_id, "business_date": self.business_date.isoformat(),
                "timings": dict(timings_s)}  # fmt: skip
        try:
            handle, temporary = tempfile.mkstemp(dir=self.reports_dir, prefix=".eod-progress-")
        except OSError:
            return
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(body, out)
            os.replace(temporary, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    def clear(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


def read_progress(reports_dir: Path, business_date: date, run_id: str) -> dict[str, float]:
    """The steps `run_id` has published so far; empty when it has none (or another run's).
    The reports directory may be shared, so the file is read as untrusted: a FIFO, a link
    to /dev/zero, a huge or deeply nested file, NaN or a 400-digit number in it would hang,
    exhaust or break the live view (whose JSON refuses non-finite numbers)."""
    text = _small_regular_file(progress_path(reports_dir, business_date))
    try:
        body = json.loads(text) if text is not None else None
    except (ValueError, RecursionError):
        return {}
    if not isinstance(body, dict) or body.get("run_id") != run_id:
        return {}
    timings = body.get("timings")
    if not isinstance(timings, dict):
        return {}
    return {str(name): seconds for name, value in timings.items()
            if (seconds := _finite_seconds(value)) is not None}  # fmt: skip


def _finite_seconds(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:
        return None
    return seconds if math.isfinite(seconds) else None


def _small_regular_file(path: Path) -> str | None:
    """The text of `path` if it is a regular file (not followed through a link) of at most
    _MAX_PROGRESS_BYTES; None otherwise. Non-blocking, so a FIFO never hangs the reader."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    try:
        handle = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(handle, "rb") as file:
        try:
            if not stat.S_ISREG(os.fstat(handle).st_mode):
                return None
            data = file.read(_MAX_PROGRESS_BYTES + 1)
        except OSError:
            return None
    if len(data) > _MAX_PROGRESS_BYTES:
        return None
    return data.decode("utf-8", errors="replace")
