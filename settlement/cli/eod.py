"""`settlement eod`, `settlement scheduler` and the end-of-day inputs (`merchants import`,
`journal import`, `rates import`). The wall clock is read here and nowhere below."""

from __future__ import annotations

import json
import sys
from collections.abc import Generator, Iterable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import typer
from rich.markup import escape
from rich.table import Table

from settlement.adapters import aws
from settlement.adapters.clock import utc_now
from settlement.cli.app import app, console, settings_or_exit
from settlement.cli.report import existing_engine, migrated_engine, parse_date
from settlement.config import Settings
from settlement.domain.money import Money
from settlement.exit_codes import ExitCode

# SQLAlchemy, Alembic, botocore and the end of day are imported where they are used: every
# `settlement` command imports this module to register its commands.
if TYPE_CHECKING:
    from settlement.adapters.imports import ImportReport
    from settlement.cli.progress import ProgressBoard, Stage
    from settlement.eod.run import RunReport, StepHook

merchants_app = typer.Typer(help="Merchant master data.", no_args_is_help=True)
journal_app = typer.Typer(help="The terminals' own journal.", no_args_is_help=True)
rates_app = typer.Typer(help="Operator FX rates (override the shipped ECB rates).")
app.add_typer(merchants_app, name="merchants")
app.add_typer(journal_app, name="journal")
app.add_typer(rates_app, name="rates")


def _lines(source: str, settings: Settings) -> Generator[str]:
    """Lines of a local file or an s3://bucket/key object, streamed and decoded one by one
    (so a line that is not UTF-8 is named by its number); a byte-order mark is dropped,
    CRLF line ends are kept for the CSV reader."""
    if source.startswith("s3://"):
        yield from _decoded(_s3_lines(source, settings))
        return
    path = Path(source)
    if not path.is_file():
        raise typer.BadParameter(f"no such file: {source}")
    try:
        handle = path.open("rb")
    except OSError as error:
        raise typer.BadParameter(f"cannot read {source}: {error.strerror}") from None
    with handle:
        yield from _decoded(handle)


def _decoded(raw_lines: Iterable[bytes]) -> Iterator[str]:
    first = True
    for raw in raw_lines:
        yield (raw.removeprefix(_BOM) if first else raw).decode("utf-8")
        first = False


_BOM = b"\xef\xbb\xbf"


def _s3_lines(source: str, settings: Settings) -> Generator[bytes]:
    from botocore.exceptions import ClientError  # noqa: PLC0415

    parts = urlsplit(source)
    bucket, key = parts.netloc, parts.path.lstrip("/")
    if not bucket or not key:
        raise typer.BadParameter(f"expected s3://bucket/key, got {source}")
    try:
        body = aws.s3_client(settings).get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in {"NoSuchKey", "NoSuchBucket", "404"}:
            raise typer.BadParameter(f"no such S3 object: {source}") from None
        raise
    yield from body["Body"].iter_lines(chunk_size=1 << 16, keepends=True)


def _print_import(what: str, report: ImportReport) -> None:
    """The import's one-line summary and its rejected lines; exits FAILED (1) when a line
    was rejected, the file could not be read or had no line to import. Each message is
    one line whatever the terminal's width (soft wrap), so a log or grep sees it whole;
    a value from the file is shown as written (markup escaped, no ":emoji:" codes)."""
    say = partial(console.print, soft_wrap=True, emoji=False)
    if report.file_error is not None:
        say(f"[red]{what}: {escape(report.file_error)}; nothing written[/red]")
        raise typer.Exit(ExitCode.FAILED)
    already = f", already imported {report.already_there}" if report.already_there else ""
    if report.file_format is not None:
        what = f"{what} ({report.file_format})"
    skipped = f", skipped {_skipped(report)}" if report.skipped else ""
    say(
        f"{what}: read {report.read}, written {report.written}{already}, rejected "
        f"{report.rejected}{skipped}"
    )
    for note in report.notes:
        say(f"  {escape(note)}")
    for error in report.errors:
        say(f"  [yellow]{escape(error)}[/yellow]")
    if report.rejected > len(report.errors):
        say(f"  [yellow]... and {report.rejected - len(report.errors)} more[/yellow]")
    if report.all_or_nothing and report.rejected:
        say(f"[red]{what}: nothing written: one rejected line rejects the file; correct it "
            "and import the file again[/red]")  # fmt: skip
    if report.failed:
        raise typer.Exit(ExitCode.FAILED)


def _skipped(report: ImportReport) -> str:
    parts = [f"{report.gaps} N/A or empty"] if report.gaps else []
    if report.archived:
        parts.append(f"{report.archived} older than CARDSETTLE_TIME_MAX_AGE_DAYS")
    return f"{report.skipped} ({', '.join(parts)})"


@merchants_app.command("import")
def merchants_import(file: Path = typer.Argument(..., help="merchants.csv")) -> None:
    """Import (or update) merchants: id, name, MCC, country, settlement currency, MDR, fee.
    All-or-nothing: one rejected line and nothing is written (exit code 1)."""
    from settlement.adapters.imports import import_merchants  # noqa: PLC0415
    from settlement.cli.progress import ProgressBoard  # noqa: PLC0415 - start-up time

    settings = settings_or_exit()
    with migrated_engine(settings) as engine, ProgressBoard(console) as board:
        with closing(_lines(str(file), settings)) as lines, _line_stage(board, str(file)) as stage:
            report = import_merchants(engine, lines, stage.advance)
    _print_import("merchants", report)


def _line_stage(board: ProgressBoard, source: str) -> AbstractContextManager[Stage]:
    """Reading `source`'s lines: out of the file's line count when it is local."""
    from settlement.cli.progress import count_lines  # noqa: PLC0415 - start-up time

    path = Path(source)
    total = None if source.startswith("s3://") or not path.is_file() else count_lines(path)
    return board.stage(f"import {source}", total, "lines")


@journal_app.command("import")
def journal_import(
    source: str = typer.Argument(..., help="journal.csv or s3://bucket/key"),
) -> None:
    """Import the terminals' journal; rows already imported are kept as they are. Good lines
    are written even when others are rejected (then the exit code is 1)."""
    from settlement.adapters.imports import import_journal  # noqa: PLC0415
    from settlement.cli.progress import ProgressBoard  # noqa: PLC0415 - start-up time

    settings = settings_or_exit()
    with migrated_engine(settings) as engine, ProgressBoard(console) as board:
        with closing(_lines(source, settings)) as lines, _line_stage(board, source) as stage:
            report = import_journal(engine, lines, settings, utc_now(), stage.advance)
    _print_import("journal", report)


@rates_app.command("import")
def rates_import(
    file: Path | None = typer.Argument(
        None, help="The ECB's eurofxref-hist.csv, eurofxref.csv or XML, or date,currency,"
        "units_per_eur (recognised by content)"
    ),
    from_url: str | None = typer.Option(
        None, "--from-url", help="Download the file (http or https), e.g. "
        "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist-90d.xml"
    ),
) -> None:  # fmt: skip
    """Import FX rates (units per EUR); they win over the shipped ECB rates of the same date.
    Reads the ECB's files as published (CSV, XML, zipped; N/A cells are skipped) and
    date,currency,units_per_eur. All-or-nothing, like merchants; CARDSETTLE_RATE_MAX_JUMP_PCT
    bounds the change (docs/fx-rates.md)."""
    from settlement.adapters.imports import import_rates  # noqa: PLC0415
    from settlement.adapters.rates import RateDownloadError, downloaded  # noqa: PLC0415
    from settlement.cli.progress import ProgressBoard  # noqa: PLC0415 - start-up time

    if (file is None) == (from_url is None):
        raise typer.BadParameter("give a FILE or --from-url URL (one of them)")
    settings = settings_or_exit()
    size = file.stat().st_size if file is not None and file.is_file() else None
    with migrated_engine(settings) as engine, ProgressBoard(console) as board:
        try:
            with (
                closing(downloaded(from_url) if from_url else _chunks(file)) as chunks,
                board.stage(f"import {from_url or file}", size, "bytes") as stage,
            ):
                report = import_rates(engine, chunks, utc_now(), settings.rate_rules, stage.advance)
        except RateDownloadError as error:
            console.print(f"[red]rates: {escape(str(error))}; nothing written[/red]",
                          soft_wrap=True, emoji=False)  # fmt: skip
            raise typer.Exit(ExitCode.FAILED) from None
    _print_import("rates", report)


def _chunks(file: Path | None) -> Generator[bytes]:
    """A local file's bytes in 64 KiB pieces (a 100 MB XML is never read whole)."""
    if file is None or not file.is_file():
        raise typer.BadParameter(f"no such file: {file}")
    try:
        handle = file.open("rb")
    except OSError as error:
        raise typer.BadParameter(f"cannot read {file}: {error.strerror}") from None
    with handle:
        while chunk := handle.read(1 << 16):
            yield chunk


@app.command("eod")
def eod(
    business_date: str = typer.Option(..., "--date", help="Business date, YYYY-MM-DD."),
    labels: Path | None = typer.Option(None, "--labels", help="labels.csv: score the rules."),
    rerun: bool = typer.Option(False, "--rerun", help="Replace a completed date's results."),
    before_cutoff: bool = typer.Option(
        False, "--before-cutoff", help="Run a date whose cutoff has not passed yet."
    ),
    allow_empty: bool = typer.Option(
        False, "--allow-empty", help="Run a date with no transactions and no journal lines."
    ),
) -> None:
    """Run the end of day for one business date by hand (exit 3 when it refuses)."""
    from settlement.cli.progress import ProgressBoard  # noqa: PLC0415 - start-up time
    from settlement.entrypoints.reading import screen_opener  # noqa: PLC0415
    from settlement.eod.labels import read_label_set  # noqa: PLC0415
    from settlement.eod.run import RunRequest, run_end_of_day  # noqa: PLC0415

    settings = settings_or_exit()
    day = parse_date(business_date)
    with ProgressBoard(console) as board:
        read = board.step(f"read {labels}", lambda: read_label_set(labels)) if labels else None
        with existing_engine(settings) as engine, step_progress(board, day) as after_step:
            request = RunRequest(
                day, utc_now(), rerun, read, after_step=after_step,
                before_cutoff=before_cutoff, allow_empty=allow_empty,
                open_screen=screen_opener(settings),
            )  # fmt: skip
            report = run_end_of_day(engine, settings, request)
    print_report(report)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


@contextmanager
def step_progress(board: ProgressBoard, day: date | None) -> Iterator[StepHook]:
    """The end of day's steps as a stage of `board`, to pass as `RunRequest.after_step`:
    it draws and reads the clock, never touches the run's connection. A run refused
    before its first step leaves no stage behind."""
    from settlement.cli.progress import Steps  # noqa: PLC0415 - start-up time
    from settlement.eod.run import STEPS  # noqa: PLC0415

    steps = Steps(board, f"end of day {day}" if day else "end of day", STEPS)
    if day is not None:
        steps.begin()
    try:
        yield lambda name, _conn: steps.done(name)
    except BaseException:
        steps.end(completed=False)
        raise
    steps.end()


def print_report(report: RunReport) -> None:
    """A completed run's tables on stdout; a refusal is one unwrapped line on stderr."""
    from settlement.eod.run import RunReportStatus  # noqa: PLC0415

    if report.status != RunReportStatus.COMPLETED:
        print(report.message, file=sys.stderr, flush=True)
        if report.payout_file is not None:
            console.print(f"payout file: {report.payout_file} (restored)")
        return
    console.print(f"[green]{report.message}[/green]")
    classes = Table("reconciliation class", "items", title=f"end of day {report.business_date}")
    for name, count in report.counts.get("classes", {}).items():
        classes.add_row(name, str(count))
    console.print(classes)
    outcomes = ", ".join(f"{k} {v}" for k, v in report.counts.get("outcomes", {}).items())
    console.print(f"outcomes: {outcomes}")
    money = Table("currency", "payouts", "fees", "fx markup", "merchant debits")
    for currency, t in report.totals.get("payouts", {}).items():
        cells = [
            Money(t[k], currency).format()
            for k in ("payout_minor", "fees_minor", "fx_markup_minor")
        ]
        money.add_row(currency, *cells, str(t["merchant_debits"]))
    console.print(money)
    console.print(f"timings (s): {json.dumps(report.timings)}")
    if report.scorecard is not None:
        overall = report.scorecard.get("overall", {})
        console.print(f"fraud scorecard (overall): {json.dumps(overall)}")
    console.print(f"payout file: {report.payout_file}")


@app.command("scheduler")
def scheduler() -> None:
    """Run end of day at every cutoff (APScheduler); first catch up missed business dates."""
    from settlement.cli.progress import ProgressBoard  # noqa: PLC0415 - start-up time
    from settlement.entrypoints.scheduler import run_scheduler  # noqa: PLC0415  (APScheduler)

    settings = settings_or_exit()
    # Lines, never live bars: the scheduler lives for days, and its output is a log.
    with (
        existing_engine(settings) as engine,
        ProgressBoard(console, live_bars=False) as board,
        step_progress(board, None) as after_step,
    ):
        run_scheduler(settings, engine, utc_now, console.print, after_step)
