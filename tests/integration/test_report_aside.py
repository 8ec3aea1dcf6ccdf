"""The report's second process (`settlement.reports.csv_aside`), on SQLite and PostgreSQL:
the files it writes are the bytes one process writes, its rows reach the progress, and
whatever goes wrong on its side (no database, another run, a crash) is a ReportError with
a reason, never a report of two runs or a process left behind."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from typer.testing import CliRunner

from settlement.adapters.report_reads import ReportReads, report_reads
from settlement.cli.app import app
from settlement.config import Settings
from settlement.entrypoints.reading import report_opener, report_reads_at
from settlement.reports import ReportError, csv_aside, write
from settlement.reports.csv_files import CSV_NAMES, write_csv_files
from settlement.reports.gather import cutoff_of
from settlement.reports.model import RunInfo
from settlement.reports.write import write_reports
from tests.support.reports import settled_generated_day

DAY = date(2026, 10, 14)
PAGE_FILES = ("summary.json", "report.html")


@pytest.fixture
def settled(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Settings]]:
    with settled_generated_day(db_url, tmp_path, DAY, profile="faulty") as found:
        yield found


@pytest.fixture
def aside_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second process for any day, not only days of 50,000 settlement lines."""
    monkeypatch.setattr(write, "ASIDE_MIN_ROWS", 0)


def _written(engine: Engine, settings: Settings, out: Path, **kwargs: object) -> list[int]:
    told: list[int] = []
    with report_reads(engine) as reads:
        write_reports(reads, settings, DAY, out, told.append, **kwargs)  # type: ignore[arg-type]
    return told


@pytest.mark.usefixtures("aside_always")
def test_two_processes_write_the_bytes_one_writes(
    settled: tuple[Engine, Settings], tmp_path: Path
) -> None:
    engine, settings = settled
    one, two = tmp_path / "one", tmp_path / "two"
    told_one = _written(engine, settings, one)
    told_two: list[int] = []
    with report_reads(engine) as reads:
        written = write_reports(reads, settings, DAY, two, told_two.append,
                                open_reads=report_opener(settings))  # fmt: skip
    assert written.notes == ()
    for name in (*CSV_NAMES, *PAGE_FILES):  # the page: the tallies of both processes merged
        assert (two / DAY.isoformat() / name).read_bytes() == (
            one / DAY.isoformat() / name
        ).read_bytes(), name
    assert sum(told_two) == sum(told_one) > 0  # the second process's rows were told too
    assert multiprocessing.active_children() == []


def test_a_small_day_is_written_by_one_process(
    settled: tuple[Engine, Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, settings = settled

    started: list[object] = []
    monkeypatch.setattr(csv_aside.second_process, "start", lambda *args: started.append(args))
    _written(engine, settings, tmp_path, open_reads=report_opener(settings))
    assert (tmp_path / DAY.isoformat() / "settlement.csv").is_file()
    assert started == []  # a day under ASIDE_MIN_ROWS starts no second process


@pytest.mark.usefixtures("aside_always")
def test_a_second_process_that_cannot_open_the_database_fails_the_report(
    settled: tuple[Engine, Settings], tmp_path: Path
) -> None:
    engine, settings = settled
    missing = tmp_path / "no-such.db"
    with pytest.raises(ReportError) as raised:
        _written(
            engine, settings, tmp_path, open_reads=partial(report_reads_at, f"sqlite:///{missing}")
        )
    message = str(raised.value)
    assert "not written" in message and "no such file" in message and "\n" not in message
    assert multiprocessing.active_children() == []


@pytest.mark.usefixtures("aside_always")
def test_a_second_process_that_read_another_run_fails_the_report(
    settled: tuple[Engine, Settings], tmp_path: Path
) -> None:
    """A rerun committed between the two processes' reads: the second process sees another
    attempt at the date than the first reported, and the report is refused."""
    engine, settings = settled
    after_a_rerun = partial(_reads_after_a_rerun, settings.database_url)
    with pytest.raises(ReportError, match="run changed while its files were written"):
        _written(engine, settings, tmp_path, open_reads=after_a_rerun)
    assert multiprocessing.active_children() == []


@pytest.mark.usefixtures("aside_always")
def test_a_failing_report_stops_its_second_process(
    settled: tuple[Engine, Settings], tmp_path: Path
) -> None:
    engine, settings = settled

    def broken(_rows: int) -> None:
        raise OSError("disk full")

    with report_reads(engine) as reads, pytest.raises(OSError, match="disk full"):
        write_reports(reads, settings, DAY, tmp_path, broken, open_reads=report_opener(settings))
    assert multiprocessing.active_children() == []


@pytest.mark.usefixtures("aside_always")
def test_a_second_process_whose_parent_is_gone_ends_quietly(
    settled: tuple[Engine, Settings], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The parent killed (or stopping on Ctrl-C) closes its end: the second process stops at
    its next word to it, with no traceback."""
    _, settings = settled
    job = csv_aside.AsideJob(report_opener(settings), settings, DAY, tmp_path)  # type: ignore[arg-type]
    with csv_aside.writing_aside(job) as aside:
        child = aside._child  # noqa: SLF001 - the parent's end, as its death leaves it:
        child._pipe.close()  # noqa: SLF001 - closed
        child.process.join(120)
        assert child.process.exitcode == 0
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.usefixtures("aside_always")
@pytest.mark.parametrize("why", ["no process", "a job that cannot cross"])
def test_a_second_process_that_cannot_start_leaves_the_files_to_this_one(
    settled: tuple[Engine, Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, why: str
) -> None:
    engine, settings = settled
    one = tmp_path / "one"
    _written(engine, settings, one)
    opener = report_opener(settings)
    if why == "no process":

        def no_process(*_args: object) -> None:
            raise OSError(11, "Resource temporarily unavailable")

        monkeypatch.setattr(csv_aside.second_process, "start", no_process)
    else:
        opener = lambda: report_reads_at(settings.database_url)  # noqa: E731 - no pickling
    told: list[int] = []
    with report_reads(engine) as reads:
        written = write_reports(reads, settings, DAY, tmp_path / "two", told.append,
                                open_reads=opener)  # fmt: skip
    for name in (*CSV_NAMES, *PAGE_FILES):
        assert (tmp_path / "two" / DAY.isoformat() / name).read_bytes() == (
            one / DAY.isoformat() / name
        ).read_bytes(), name
    assert sum(told) > 0 and multiprocessing.active_children() == []
    [note] = written.notes  # not silently slower: the report says why
    assert note.startswith("CSV files written by one process: the second one failed: it could not")
    assert ("[Errno 11]" if why == "no process" else "pickle") in note


def test_a_crashed_second_process_is_reported(tmp_path: Path) -> None:
    """A second process that dies without a word (killed, out of memory): its exit code."""
    job = csv_aside.AsideJob(partial(_die), Settings(), DAY, tmp_path)  # type: ignore[call-arg]
    with csv_aside.writing_aside(job) as aside, pytest.raises(ReportError) as raised:
        aside.finish(_any_run(), None)
    assert "stopped (exit code" in str(raised.value)


@pytest.mark.parametrize(
    ("url", "shared"),
    [
        ("sqlite://", False),
        ("sqlite:///:memory:", False),
        ("sqlite:///file:day?mode=memory&cache=shared&uri=true", False),
        ("sqlite:////tmp/day.db", True),
        ("postgresql+psycopg://u:p@localhost:5432/day", True),
    ],
)
def test_only_a_database_another_process_can_open_gets_a_second_process(
    url: str, shared: bool
) -> None:
    opener = report_opener(Settings(database_url=url))  # type: ignore[call-arg]
    assert (opener is not None) is shared


@contextmanager
def _reads_after_a_rerun(url: str) -> Iterator[ReportReads]:
    """In the second process: the date's attempt moved on, as a rerun commits it, then the
    read model as the entry point opens it."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE eod_runs SET attempt = attempt + 1 WHERE business_date = :day"),
            {"day": DAY},
        )
    engine.dispose()
    with report_reads_at(url) as reads:
        yield reads


def _die() -> None:
    import os  # noqa: PLC0415

    os._exit(9)


def _any_run() -> RunInfo:
    return RunInfo(DAY, "run", "completed", 1, datetime(2026, 10, 15), None, {}, None)


def test_a_file_the_report_does_not_have_is_refused(
    settled: tuple[Engine, Settings], tmp_path: Path
) -> None:
    engine, settings = settled
    with report_reads(engine) as reads, pytest.raises(ValueError, match="no such report file"):
        write_csv_files(reads, DAY, tmp_path, cutoff_of(settings), names=["../payouts.csv"])
    assert list(tmp_path.glob("*.csv")) == []


@pytest.mark.usefixtures("aside_always")
def test_the_report_command_says_when_one_process_wrote_the_files(
    settled: tuple[Engine, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    _engine, settings = settled
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CARDSETTLE_REPORTS_DIR", str(settings.reports_dir))

    def no_process(*_args: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(csv_aside.second_process, "start", no_process)
    done = CliRunner().invoke(app, ["report", "--date", DAY.isoformat(), "--no-upload"])
    assert done.exit_code == 0, done.output
    assert (
        "note: CSV files written by one process: the second one failed: it could not start:"
        " [Errno 11] Resource temporarily unavailable"
    ) in " ".join(done.output.split())
