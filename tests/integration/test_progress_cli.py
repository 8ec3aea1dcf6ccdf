"""Progress on the slow commands, as a user (or a CI log) sees it: every stage's line in
plain output, the library callbacks' counts adding up to the total, the results unchanged.

The commands print a stage's line only when it lasted a second or more; these small days
are quicker, so the threshold is lowered to 0 where a test looks for the lines."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from pos_simulator.cli import app as pos_sim
from pos_simulator.config import DayConfig
from pos_simulator.generate import generate_day
from settlement.adapters import database
from settlement.adapters.imports import import_journal, import_merchants
from settlement.adapters.report_reads import report_reads
from settlement.cli import app
from settlement.cli import progress as facility
from settlement.cli.progress import count_lines
from settlement.config import load_settings
from settlement.exit_codes import ExitCode
from settlement.reports import write_reports
from tests.support.reports import generate_small_day, settled_generated_day

DAY = date(2026, 10, 14)
NOW = datetime(2026, 10, 15, 6, 0)  # naive UTC, after the day's cutoff


@pytest.fixture
def every_stage_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(facility, "QUIET_BELOW_S", 0.0)


def _env(monkeypatch: pytest.MonkeyPatch, db_url: str, reports: Path) -> None:
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", db_url)
    monkeypatch.setenv("CARDSETTLE_REPORTS_DIR", str(reports))


def test_imports_tell_every_line_once_and_write_the_same(db_url: str, tmp_path: Path) -> None:
    day_dir = generate_small_day(tmp_path, DAY) / "day"
    settings = load_settings(database_url=db_url)
    database.upgrade(db_url)
    engine = database.create_db_engine(db_url)
    told: dict[str, list[int]] = {"merchants": [], "journal": []}
    try:
        with (day_dir / "merchants.csv").open(encoding="utf-8", newline="") as lines:
            merchants = import_merchants(engine, lines, told["merchants"].append)
        journal_csv = day_dir / "journal.csv"
        with journal_csv.open(encoding="utf-8", newline="") as lines:
            journal = import_journal(engine, lines, settings, NOW, told["journal"].append)
        with journal_csv.open(encoding="utf-8", newline="") as lines:
            again = import_journal(engine, lines, settings, NOW)  # no callback
    finally:
        engine.dispose()
    assert sum(told["merchants"]) == count_lines(day_dir / "merchants.csv")
    assert sum(told["journal"]) == count_lines(journal_csv) == 401  # the header too
    assert (journal.read, journal.written, journal.rejected) == (400, 400, 0)
    assert (again.read, again.already_there, again.written) == (400, 400, 0)
    assert merchants.written == 25


def test_journal_import_shows_its_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, every_stage_shown: None
) -> None:
    day_dir = generate_small_day(tmp_path, DAY) / "day"
    _env(monkeypatch, f"sqlite:///{tmp_path / 'p.db'}", tmp_path / "reports")
    runner = CliRunner()
    merchants = runner.invoke(app, ["merchants", "import", str(day_dir / "merchants.csv")])
    assert f"merchants.csv: {count_lines(day_dir / 'merchants.csv')} lines done" in (
        merchants.output
    ), merchants.output
    result = runner.invoke(app, ["journal", "import", str(day_dir / "journal.csv")])
    assert result.exit_code == 0, result.output
    assert f"import {day_dir / 'journal.csv'}: 401 lines done in" in result.output
    assert "journal: read 400, written 400" in result.output
    assert "\x1b" not in result.output


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"transaction_id\n"])
def test_an_empty_journal_still_exits_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    _env(monkeypatch, f"sqlite:///{tmp_path / 'p.db'}", tmp_path / "reports")
    path = tmp_path / "journal.csv"
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["journal", "import", str(path)])
    assert result.exit_code == ExitCode.FAILED, result.output
    assert result.output.startswith("journal: "), result.output  # the error is all it says
    assert "nothing written" in result.output and len(result.output.splitlines()) == 1


def test_rates_import_counts_the_file_s_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, every_stage_shown: None
) -> None:
    _env(monkeypatch, f"sqlite:///{tmp_path / 'p.db'}", tmp_path / "reports")
    path = tmp_path / "rates.csv"
    path.write_text("date,currency,units_per_eur\n2026-10-13,USD,1.0850\n")
    result = CliRunner().invoke(app, ["rates", "import", str(path)])
    assert result.exit_code == 0, result.output
    size = path.stat().st_size
    assert f"import {path}: {size} bytes done in" in result.output, result.output


def test_generate_tells_every_transaction(tmp_path: Path) -> None:
    told: list[int] = []
    config = DayConfig(seed=3, business_date=DAY, transactions=9_000, merchants=30, cards=900)
    summary = generate_day(config, tmp_path / "day", told.append)
    assert sum(told) == summary.transactions == count_lines(tmp_path / "day/journal.csv") - 1
    assert len(told) >= 2  # per chunk of a few thousand, not at the end only


def test_pos_sim_generate_shows_its_transactions(tmp_path: Path, every_stage_shown: None) -> None:
    out = tmp_path / "day"
    args = ["generate", "--business-date", DAY.isoformat(), "-n", "300", "--out", str(out),
            "--merchants", "20", "--cards", "200", "--timezone", "UTC",
            "--cutoff", "22:00"]  # fmt: skip
    result = CliRunner().invoke(pos_sim, args)
    assert result.exit_code == 0, result.output
    assert f"generate {out}: 300 transactions done in" in result.output, result.output


def test_ingest_eod_and_report_show_their_stages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, every_stage_shown: None
) -> None:
    day_dir = generate_small_day(tmp_path, DAY) / "day"
    _env(monkeypatch, f"sqlite:///{tmp_path / 'p.db'}", tmp_path / "reports")
    runner = CliRunner()
    for command in (["merchants", "import", str(day_dir / "merchants.csv")],
                    ["journal", "import", str(day_dir / "journal.csv")]):  # fmt: skip
        assert runner.invoke(app, command).exit_code == 0
    messages = count_lines(day_dir / "messages.jsonl")
    ingest = runner.invoke(
        app, ["ingest", str(day_dir / "messages.jsonl"), "--transport", "direct", "--workers", "1"]
    )
    assert ingest.exit_code == 0, ingest.output
    assert f"ingest messages.jsonl (direct): {messages:,} messages done in" in ingest.output

    eod = runner.invoke(app, ["eod", "--date", DAY.isoformat(), "--labels",
                              str(day_dir / "labels.csv")])  # fmt: skip
    assert eod.exit_code == 0, eod.output
    for step in ("reset", "reconcile", "fraud", "fx", "settle", "ledger", "complete"):
        assert f"end of day {DAY}: {step} done in" in eod.output, eod.output
    assert f"end of day {DAY}: 7 steps done in" in eod.output
    assert f"read {day_dir / 'labels.csv'}: done in" in eod.output
    assert "completed" in eod.output

    refused = runner.invoke(app, ["eod", "--date", DAY.isoformat()])
    assert refused.exit_code == ExitCode.REFUSED
    assert "steps" not in refused.output, refused.output  # refused: no step was run

    report = runner.invoke(app, ["report", "--date", DAY.isoformat(), "--no-upload"])
    assert report.exit_code == 0, report.output
    rows = _csv_rows(tmp_path / "reports" / DAY.isoformat())
    assert f"write the reports of {DAY}: {rows:,} rows done in" in report.output, report.output


def test_a_quick_eod_prints_what_it_printed_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the lowered threshold a small day's steps are all under a second: no line."""
    with settled_generated_day(f"sqlite:///{tmp_path / 'p.db'}", tmp_path, DAY) as (_, settings):
        _env(monkeypatch, settings.database_url, settings.reports_dir)
        result = CliRunner().invoke(app, ["eod", "--date", DAY.isoformat(), "--rerun"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"end of day {DAY} completed"), result.output
    assert " done in " not in result.output


def test_report_writer_tells_every_csv_row(db_url: str, tmp_path: Path) -> None:
    told: list[int] = []
    with settled_generated_day(db_url, tmp_path, DAY) as (engine, settings):
        with report_reads(engine) as reads:
            written = write_reports(reads, settings, DAY, tmp_path / "out", told.append)
        with report_reads(engine) as reads:
            again = write_reports(reads, settings, DAY, tmp_path / "again")
    assert sum(told) == _csv_rows(written.directory) > 0
    for path in written.files:  # the same bytes with and without a callback
        assert path.read_bytes() == (again.directory / path.name).read_bytes(), path.name


def _csv_rows(directory: Path) -> int:
    rows = 0
    for path in directory.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            rows += sum(1 for _ in csv.reader(handle)) - 1
    return rows


def test_the_scheduler_s_runs_report_every_step_in_order(db_url: str, tmp_path: Path) -> None:
    """catch_up hands each run the step hook; the steps it sees are run.STEPS, the timings'
    own keys, in order (so the commands' `7 steps` is the run's count)."""
    from settlement.cli.demo import DemoPlan, import_inputs, ingest  # noqa: PLC0415
    from settlement.cli.progress import ProgressBoard  # noqa: PLC0415
    from settlement.eod.catch_up import catch_up  # noqa: PLC0415
    from settlement.eod.run import STEPS  # noqa: PLC0415

    generated = generate_small_day(tmp_path, DAY)
    settings = load_settings(database_url=db_url, reports_dir=tmp_path / "reports")
    database.upgrade(db_url)
    engine = database.create_db_engine(db_url)
    seen: list[str] = []
    try:
        board = ProgressBoard(Console(file=io.StringIO()), live_bars=False)
        import_inputs(engine, settings, DemoPlan(DAY, 400, 5, "direct", False, generated), board)
        ingest(settings, DemoPlan(DAY, 400, 5, "direct", False, generated), lambda _n: None)
        reports = catch_up(engine, settings, lambda: NOW, lambda name, _conn: seen.append(name))
    finally:
        engine.dispose()
    assert [report.status for report in reports] == ["completed"]
    assert tuple(seen) == STEPS == tuple(reports[0].timings)
