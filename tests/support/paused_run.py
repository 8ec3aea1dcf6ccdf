"""A labelled re-run of a date with the fraud screen's second process, as a process of its
own that stops at a step until it is killed: `python -m tests.support.paused_run URL
REPORTS LABELS MARKER STEP DATE`. It writes MARKER when it reaches STEP (after the second
process has started), then waits."""

from __future__ import annotations

import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from settlement.adapters import database
from settlement.config import load_settings
from settlement.entrypoints.reading import screen_opener
from settlement.eod import run
from settlement.eod.labels import read_label_set
from settlement.eod.run import RunRequest, run_end_of_day

PAUSE_S = 120  # far longer than any test waits for its kill


def main(args: list[str]) -> None:
    url, reports, labels, marker, step, day = args
    run.ASIDE_MIN_PURCHASES = 1  # the second process for a small day
    settings = load_settings(database_url=url, reports_dir=Path(reports))

    def pause(name: str, _conn: Any) -> None:
        if name == step:
            Path(marker).write_text(name, encoding="utf-8")
            time.sleep(PAUSE_S)

    request = RunRequest(
        date.fromisoformat(day), datetime(2026, 10, 20, 12), rerun=True,
        labels=read_label_set(Path(labels)), open_screen=screen_opener(settings),
        after_step=pause,
    )  # fmt: skip
    run_end_of_day(database.create_db_engine(url), settings, request)


if __name__ == "__main__":
    main(sys.argv[1:])
