"""`settlement report`: re-create a business date's reports from the database, upload them.

The report writers (Jinja2, charts) and the database layer are imported when a report is
made, not when the command is registered, so other `settlement` commands start faster.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from settlement.adapters.aws import describe_target, s3_client
from settlement.cli.app import app, console, settings_or_exit
from settlement.domain.calendar import parse_business_date
from settlement.exit_codes import ExitCode

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from settlement.cli.progress import ProgressBoard
    from settlement.config import Settings
    from settlement.reports import WrittenReports


def parse_date(text: str) -> date:
    try:
        return parse_business_date(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def migrated_engine(settings: Settings) -> AbstractContextManager[Engine]:
    """The configured database, an embedded SQLite file created and migrated on first use:
    for the commands that fill it (imports, the demo)."""
    from settlement.adapters import database  # noqa: PLC0415 - see the module docstring

    return database.migrated_engine(settings.database_url)


def existing_engine(settings: Settings) -> AbstractContextManager[Engine]:
    """The configured database, which must exist at the current schema (never created):
    for the commands that read or settle a day already there (eod, report, scheduler)."""
    from settlement.adapters import database  # noqa: PLC0415 - see the module docstring

    return database.existing_engine(settings.database_url)


def make_reports(
    settings: Settings, day: date, out: Path | None, upload: bool, board: ProgressBoard
) -> WrittenReports:
    """Write (and optionally upload) the date's reports, their rows and the upload shown on
    `board`; a missing run exits with code 1."""
    from settlement.adapters.report_reads import report_reads  # noqa: PLC0415
    from settlement.entrypoints.reading import report_opener  # noqa: PLC0415
    from settlement.reports import ReportError, upload_reports, write_reports  # noqa: PLC0415
    from settlement.reports.comparison import ComparisonFormatError  # noqa: PLC0415
    from settlement.reports.lesson import LessonFormatError  # noqa: PLC0415

    with existing_engine(settings) as engine, report_reads(engine) as reads:
        try:
            with board.stage(f"write the reports of {day}", None, "rows") as stage:
                written = write_reports(
                    reads, settings, day, out, stage.advance, open_reads=report_opener(settings)
                )
        except (ReportError, ComparisonFormatError, LessonFormatError) as error:
            print(f"error: {error}", file=sys.stderr, flush=True)
            raise typer.Exit(ExitCode.FAILED) from None
    for note in written.notes:
        board.say(f"note: {note}")
    if upload:
        client = s3_client(settings)
        keys = board.step(
            f"upload {len(written.files)} files",
            lambda: upload_reports(settings, day, written.files, client),
        )
        where = describe_target(settings)
        console.print(f"uploaded {len(keys)} file(s) to s3://{settings.s3_bucket}/"
                      f"reports/{day.isoformat()}/ on {where}")  # fmt: skip
    return written


@app.command("report")
def report(
    business_date: str = typer.Option(..., "--date", help="Business date, YYYY-MM-DD."),
    out: Path | None = typer.Option(None, "--out", help="Directory (default REPORTS_DIR)."),
    upload: bool = typer.Option(True, "--upload/--no-upload", help="Also put them on S3."),
) -> None:
    """Write report.html, the CSV files and summary.json of a completed business date."""
    from settlement.cli.progress import ProgressBoard  # noqa: PLC0415 - start-up time

    settings = settings_or_exit()
    day = parse_date(business_date)
    with ProgressBoard(console) as board:
        written = make_reports(settings, day, out, upload, board)
    for path in written.files:
        console.print(f"  {path}")
    console.print(f"report: [bold]{written.html}[/bold]")
