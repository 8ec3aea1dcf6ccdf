"""End of day under faults, as real OS processes: `settlement scheduler` SIGKILLed mid-run, and
two schedulers started at once. On SQLite and PostgreSQL.

A generated day (pos-sim, faulty profile) is staged, imported and copied into several
databases: one is run uninterrupted in this process (the reference), the others are handed
to `python -m settlement scheduler` processes, which catch the past business date up on
start. The claim under test: however often a run is killed, and however many schedulers
race, a business date is run to completion once, and its results (reconciliation, payouts,
settlement lines, ledger, payout file) are those of the uninterrupted run. Each test prints
its figures.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from sqlalchemy import Table, create_engine, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from pos_simulator.config import DayConfig
from pos_simulator.generate import generate_day
from pos_simulator.profiles import PROFILES
from settlement.adapters import database, run_guard
from settlement.adapters.clock import utc_now
from settlement.adapters.eod_tables import (
    eod_runs,
    fraud_decisions,
    fraud_flags,
    fx_conversions,
    ledger_entries,
    payouts,
    reconciliation_items,
    reconciliation_totals,
    settlement_lines,
)
from settlement.cli import app
from settlement.config import load_settings
from settlement.eod.catch_up import catch_up
from tests.support.pan_scan import PanScanner, sent_pans
from tests.support.real_mode import wait_until

pytestmark = pytest.mark.e2e

DAY = date(2026, 10, 14)
TRANSACTIONS = 12_000  # a run of a few seconds: room to kill it at several points
RESULTS = (
    reconciliation_items, reconciliation_totals, fraud_flags, fraud_decisions, fx_conversions,
    settlement_lines, payouts, ledger_entries,
)  # fmt: skip
COMPLETED = f"end of day {DAY} completed"


def report(capsys: pytest.CaptureFixture[str], test: str, figures: dict[str, object]) -> None:
    with capsys.disabled():
        print(f"\n[e2e] {test}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


def backend(url: str) -> str:
    return make_url(url).get_backend_name()


@pytest.fixture(scope="module")
def generated_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("eod-day")
    config = DayConfig(seed=23, business_date=DAY, transactions=TRANSACTIONS, merchants=80,
                       cards=3000, mix=PROFILES["faulty"])  # fmt: skip
    generate_day(config, out)
    return out


def _load(url: str, day: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stage the day and import its merchants and journal, through the CLI as a user would."""
    database.upgrade(url)
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", url)
    runner = CliRunner()
    with mock_aws():
        commands = [
            ["ingest", str(day / "messages.jsonl"), "--transport", "direct"],
            ["merchants", "import", str(day / "merchants.csv")],
            ["journal", "import", str(day / "journal.csv")],
        ]
        for argv in commands:
            result = runner.invoke(app, argv)
            assert result.exit_code == 0, result.output
    monkeypatch.delenv("CARDSETTLE_DATABASE_URL")


@dataclass
class LoadedDay:
    """A database holding the staged day, and fresh copies of it on demand."""

    template: str
    workdir: Path
    server: str | None  # PostgreSQL admin URL; None on SQLite
    copies: list[str] = field(default_factory=list)

    def copy(self) -> str:
        name = "c_" + uuid.uuid4().hex[:12]
        if self.server is None:
            target = self.workdir / f"{name}.db"
            source = sqlite3.connect(make_url(self.template).database or "")
            destination = sqlite3.connect(target)
            try:
                source.backup(destination)  # consistent, WAL included
            finally:
                destination.close()
                source.close()
            url = f"sqlite:///{target}"
        else:
            template = make_url(self.template).database
            _admin(self.server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            url = make_url(self.template).set(database=name).render_as_string(False)
        self.copies.append(url)
        return url

    def drop_copies(self) -> None:
        for url in self.copies:
            if self.server is not None:
                name = make_url(url).database
                _admin(self.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(server: str, statement: str) -> None:
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def loaded_day(
    db_url: str, generated_day: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[LoadedDay]:  # fmt: skip
    pan_sweep: PanScanner = request.getfixturevalue("pan_sweep")  # tests/e2e/conftest.py
    pan_sweep.sent |= sent_pans(generated_day / "messages.jsonl")
    _load(db_url, generated_day, monkeypatch)
    server = request.getfixturevalue("pg_server") if db_url.startswith("postgresql") else None
    day = LoadedDay(db_url, tmp_path, server)
    try:
        yield day
        for url in (day.template, *day.copies):  # before the copies are dropped
            pan_sweep.database(url)
    finally:
        day.drop_copies()


@dataclass(frozen=True)
class Reference:
    results: dict[str, list[tuple[Any, ...]]]
    payout_file: str
    run_s: float


def reference_run(day: LoadedDay) -> Reference:
    """The uninterrupted run: the scheduler's own catch-up, in this process, on a copy."""
    url = day.copy()
    settings = load_settings(database_url=url, reports_dir=day.workdir / "reference")
    engine = database.create_db_engine(url)
    try:
        started = time.monotonic()
        reports = catch_up(engine, settings, utc_now)  # the CLI's own clock
        run_s = time.monotonic() - started
    finally:
        engine.dispose()
    assert [(r.business_date, r.status) for r in reports] == [(DAY, "completed")]
    assert reports[0].counts["payouts"] > 0, "a day with no payouts proves nothing"
    paid = (day.workdir / "reference" / f"payouts-{DAY}.csv").read_text()
    return Reference(results(url), paid, run_s)


def results(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every result row of the day, table by table, in primary-key order."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {table.name: _rows(conn, table) for table in RESULTS}
    finally:
        engine.dispose()


def _rows(conn: Any, table: Table) -> list[tuple[Any, ...]]:
    query = select(table).where(table.c.run_date == DAY).order_by(*table.primary_key.columns)
    return [tuple(row) for row in conn.execute(query)]


def run_row(url: str) -> Any:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(eod_runs).where(eod_runs.c.business_date == DAY)).first()
    finally:
        engine.dispose()


@dataclass
class Scheduler:
    """One `settlement scheduler` process and its log."""

    process: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(cls, url: str, workdir: Path, name: str) -> Scheduler:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CARDSETTLE_")},
            "CARDSETTLE_DATABASE_URL": url,
            "CARDSETTLE_REPORTS_DIR": str(workdir / f"reports-{name}"),
            "PYTHONUNBUFFERED": "1",  # a SIGKILL must not eat what it already said
            "COLUMNS": "200",
        }
        log = workdir / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "settlement", "scheduler"], env=env, cwd=workdir,
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return cls(process, log)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def caught_up(self) -> bool:
        """Past its start-up catch-up: blocking until the next cutoff (or dead)."""
        return "scheduler started" in self.text() or self.process.poll() is not None

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


def _status(url: str, attempt: int) -> str | None:
    row = run_row(url)
    return None if row is None or row.attempt < attempt else str(row.status)


def _kill_mid_run(
    url: str, workdir: Path, number: int, delay_s: float, copy: str
) -> tuple[Scheduler, str | None]:
    """Start a scheduler, let attempt `number` run `delay_s`, SIGKILL it; the status after.
    Its reports directory is the database copy's own (`copy`): a retry on a fresh copy must
    not find the payout file a previous copy's completed run left, which eod refuses to
    replace (it belongs to another database)."""
    scheduler = Scheduler.start(url, workdir, f"scheduler-{copy}-{number}")

    def started() -> bool:
        return _status(url, number) is not None

    try:
        wait_until(lambda: started() or scheduler.caught_up(), 120, f"run attempt {number}")
        assert started(), f"the scheduler did not run the date:\n{scheduler.text()[-2000:]}"
        time.sleep(delay_s)
    finally:
        scheduler.kill()
    return scheduler, _status(url, number)


@dataclass
class Kills:
    url: str
    killed: list[Scheduler]
    points_s: list[float]


def _kill_repeatedly(day: LoadedDay, delays_s: list[float]) -> Kills | None:
    """SIGKILL a scheduler `delays_s[i]` into attempt i + 1 on a fresh copy of the day;
    None if a kill came only after the run had committed (the machine ran faster than the
    reference), so the caller can try again with earlier kills."""
    kills = Kills(day.copy(), [], [])
    copy = uuid.uuid4().hex[:8]
    for delay_s in delays_s:
        number = len(kills.killed) + 1
        scheduler, status = _kill_mid_run(kills.url, day.workdir, number, delay_s, copy)
        kills.killed.append(scheduler)
        kills.points_s.append(round(delay_s, 2))
        if status == "completed":
            return None
        assert status == "running", f"kill {number}: run status {status}"
    return kills


def test_scheduler_sigkilled_during_end_of_day_completes_once_with_identical_payouts(
    loaded_day: LoadedDay, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    reference = reference_run(loaded_day)
    rng = random.Random(backend(db_url))
    # Early (reconciliation), middle (fraud screening) and late (settle, ledger, commit).
    fractions = [rng.uniform(low, high) for low, high in ((0.05, 0.25), (0.3, 0.55), (0.6, 0.8))]
    retries = 0
    while (kills := _kill_repeatedly(loaded_day, [f * reference.run_s for f in fractions])) is None:
        retries += 1
        assert retries < 3, "every late kill came after the run had committed"
        fractions = [f / 2 for f in fractions]
    url, killed = kills.url, kills.killed
    final = Scheduler.start(url, loaded_day.workdir, "scheduler-final")
    try:
        wait_until(lambda: _status(url, len(killed) + 1) == "completed", 180, "the restarted run")
        wait_until(final.caught_up, 60, "the restarted scheduler to finish its catch-up")
        assert final.process.poll() is None, f"scheduler died:\n{final.text()[-3000:]}"
    finally:
        final.stop()
    row = run_row(url)
    logs = [s.text() for s in (*killed, final)]
    runs = sum(log.count(COMPLETED) for log in logs)
    assert (row.status, row.attempt, runs) == ("completed", len(killed) + 1, 1), logs[-1]
    got = results(url)
    differing = [name for name in got if got[name] != reference.results[name]]
    paid = (loaded_day.workdir / "reports-scheduler-final" / f"payouts-{DAY}.csv").read_text()
    assert differing == [], f"results differ from the uninterrupted run in {differing}"
    assert paid == reference.payout_file
    report(capsys, f"scheduler sigkill ({backend(db_url)})", {
        "transactions": TRANSACTIONS, "payouts": len(got["payouts"]),
        "settlement_lines": len(got["settlement_lines"]),
        "ledger_entries": len(got["ledger_entries"]), "kills_survived": len(killed),
        "kill_points_s": kills.points_s, "uninterrupted_run_s": round(reference.run_s, 2),
        "retried_with_earlier_kills": retries,
        "attempts": row.attempt, "runs": runs, "payouts_identical": not differing,
        "seconds": round(time.monotonic() - started, 1),
    })  # fmt: skip


def test_two_schedulers_started_at_once_run_each_business_date_once(
    loaded_day: LoadedDay, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    reference = reference_run(loaded_day)
    rounds, total_runs, refusals, identical = 3, 0, 0, True
    for number in range(rounds):
        url = loaded_day.copy()
        pair = [Scheduler.start(url, loaded_day.workdir, f"race-{number}-{side}") for side in "ab"]
        try:
            wait_until(lambda: _status(url, 1) == "completed", 180, "the run")  # noqa: B023
            for scheduler in pair:
                wait_until(scheduler.caught_up, 60, "both schedulers to finish their catch-up")
            alive = [s.process.poll() is None for s in pair]
            assert all(alive), "a scheduler died:\n" + "\n".join(s.text()[-2000:] for s in pair)
        finally:
            for scheduler in pair:
                scheduler.stop()
        row, logs = run_row(url), [s.text() for s in pair]
        runs = sum(log.count(COMPLETED) for log in logs)
        assert (row.status, row.attempt, runs) == ("completed", 1, 1), "\n".join(logs)
        total_runs += runs
        refusals += sum(("already running" in log or "claimed by another" in log) for log in logs)
        identical = identical and results(url) == reference.results
    assert identical, "a raced run's results differ from the uninterrupted run"
    report(capsys, f"two schedulers ({backend(db_url)})", {
        "transactions": TRANSACTIONS, "races": rounds, "business_dates": 1,
        "runs": total_runs, "refused_as_running": refusals,
        "payouts_identical": identical, "seconds": round(time.monotonic() - started, 1),
    })  # fmt: skip


def test_a_running_row_is_taken_over_only_when_its_process_is_provably_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # exited and reaped: its pid names nobody (until reused)
    here = socket.gethostname()
    assert run_guard.claimant_is_dead(f"running in process {here}:{child.pid}")
    assert not run_guard.claimant_is_dead(f"running in process {here}:{os.getpid()}")
    assert not run_guard.claimant_is_dead(f"running in process {here}:{os.getppid()}")
    assert not run_guard.claimant_is_dead(f"running in process other-host:{child.pid}")
    assert not run_guard.claimant_is_dead(None)
    assert not run_guard.claimant_is_dead("ValueError: boom")  # a failure message
