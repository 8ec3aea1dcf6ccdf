"""Write one business date's reports into `<dir>/<date>/`: report.html, the CSV files and
summary.json, plus compare.json when a batch-vs-async comparison is there to show.

Everything is read from the database through the report read model
(`settlement.adapters.report_reads`) and compare.json, if present, so the same database gives
byte-identical files: nothing here reads the clock or writes SQL.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from settlement.compare.lesson import HOLDS_FILE, LESSON_FILE
from settlement.config import Settings
from settlement.counting import ProgressCallback
from settlement.reports.comparison import load_comparison
from settlement.reports.csv_aside import (
    ASIDE_FILES,
    ASIDE_MIN_ROWS,
    Aside,
    AsideJob,
    OpenReads,
    writing_aside,
)
from settlement.reports.csv_files import CSV_NAMES, write_csv_files
from settlement.reports.gather import cutoff_of, gather_day, run_of
from settlement.reports.html import render_html
from settlement.reports.model import DayReport
from settlement.reports.summary import build_summary, summary_text
from settlement.reports.tallies import DayTallies

if TYPE_CHECKING:
    from settlement.adapters.report_reads import ReportReads

COMPARE_FILE = "compare.json"
SUMMARY_FILE = "summary.json"
# End of day writes the date's payout file and bank file into the reports directory, one
# level above the date's folder: linked when they are there (the report does not write them).
RUN_FILES = ("payouts-{day}.csv", "payouts-{day}.pain.001.xml")


@dataclass(frozen=True, slots=True)
class WrittenReports:
    directory: Path
    files: tuple[Path, ...]
    report: DayReport
    notes: tuple[str, ...] = ()  # how it was written, when not as asked (one line each)

    @property
    def html(self) -> Path:
        return self.directory / "report.html"


def write_reports(
    reads: ReportReads,
    settings: Settings,
    day: date,
    out_dir: Path | None = None,
    progress: ProgressCallback | None = None,
    *,
    open_reads: OpenReads | None = None,
) -> WrittenReports:
    """Gather the date from the database (through the read model `reads`, which the entry
    point opens) and write its files (replacing earlier ones).

    `compare.json` is taken from `<reports_dir>/compare.json` (where compare-modes writes
    it) and copied beside the report, so the directory stands on its own. `progress` is
    told the CSV rows written, per chunk. With `open_reads` (the entry point's opener of a
    read model, for another process), a large day's settlement.csv and small files are
    written by a second process at the same time (`csv_aside`); the files are the same bytes
    either way."""
    directory = (out_dir or settings.reports_dir) / day.isoformat()
    directory.mkdir(parents=True, exist_ok=True)
    comparison_source = settings.reports_dir / COMPARE_FILE
    run = run_of(reads.day, day)  # no completed run: no files, the same error as before
    # The page's counts over the two large tables are tallied as their files are written.
    tallies = DayTallies()
    job = None
    if open_reads is not None and reads.detail.settlement_line_count(day) >= ASIDE_MIN_ROWS:
        job = AsideJob(open_reads, settings, day, directory)
    notes: list[str] = []
    with writing_aside(job) as aside:  # no second process, or why none could start
        if not isinstance(aside, Aside):
            if aside is not None:
                notes.append(f"CSV files written by one process: the second one failed: {aside}")
            write_csv_files(
                reads, day, directory, cutoff_of(settings), progress,
                observers=tallies.observers(),
            )  # fmt: skip
        else:
            here = [name for name in CSV_NAMES if name not in ASIDE_FILES]
            write_csv_files(
                reads, day, directory, cutoff_of(settings), aside.forwarding(progress),
                observers=tallies.observers(), names=here,
            )  # fmt: skip
            tallies.merge(aside.finish(run, progress))
    files = [directory / name for name in CSV_NAMES]
    report = replace(
        gather_day(reads, settings, day, tallies), comparison=load_comparison(comparison_source)
    )
    summary = directory / SUMMARY_FILE
    summary.write_text(summary_text(report), encoding="utf-8")
    html = directory / "report.html"
    links = file_links(report, directory, settings.reports_dir)
    html.write_text(render_html(report, build_summary(report), links), encoding="utf-8")
    files += [summary, html]
    if report.comparison is not None:
        copy = directory / COMPARE_FILE
        if comparison_source.resolve() != copy.resolve():
            shutil.copyfile(comparison_source, copy)
        files.append(copy)
    if report.lesson is not None:  # its section links them: beside the page, and uploaded
        source = settings.reports_dir / day.isoformat()
        files += _copied_beside(source, directory, (LESSON_FILE, HOLDS_FILE))
    return WrittenReports(directory, tuple(files), report, tuple(notes))


def _copied_beside(source: Path, directory: Path, names: tuple[str, ...]) -> list[Path]:
    """`names` from `source` into `directory` (a report written with --out elsewhere), the
    ones there; as they are when `source` is `directory`."""
    found = []
    for name in names:
        if not (source / name).is_file():
            continue
        if (source / name).resolve() != (directory / name).resolve():
            shutil.copyfile(source / name, directory / name)
        found.append(directory / name)
    return found


def file_links(report: DayReport, directory: Path, reports_dir: Path) -> tuple[str, ...]:
    """Relative links from report.html to every file beside it, and to the run's payout
    and bank files where end of day left them."""
    lesson = [LESSON_FILE, HOLDS_FILE] if report.lesson else []
    beside = [*CSV_NAMES, SUMMARY_FILE, *([COMPARE_FILE] if report.comparison else []), *lesson]
    day = report.run.business_date.isoformat()
    run_files = (reports_dir / name.format(day=day) for name in RUN_FILES)
    return (
        *beside,
        *(
            Path(os.path.relpath(path, directory)).as_posix()
            for path in run_files
            if path.is_file()
        ),
    )
