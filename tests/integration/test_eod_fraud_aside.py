"""The end of day's fraud screen in a second process (`settlement.eod.fraud_aside`), on
SQLite and PostgreSQL: the run's results are the ones it makes screening in its own
process; the second process sees the run's snapshot, not what is committed after the run
began; a rules file reaches it; and when it cannot run, the run screens itself and says
so."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from settlement.adapters import eod_store
from settlement.adapters.eod_memory import MemoryEodStore
from settlement.config import Settings
from settlement.domain.fraud import load_rulebook
from settlement.domain.fraud.labelset import LabelSet
from settlement.entrypoints.reading import screen_opener, screen_store_at
from settlement.eod import fraud_aside, run
from settlement.eod.labels import read_label_set
from settlement.eod.run import RunRequest, run_end_of_day
from tests.support import broken_screen
from tests.support.reports import generate_small_day, settled_day

DAY = date(2026, 10, 14)
LATER = datetime(2026, 10, 20, 12, 0)
RESULTS = ("fraud_flags", "fraud_decisions", "payouts", "settlement_lines", "reconciliation_items")


@pytest.fixture
def settled(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Settings]]:
    generated = generate_small_day(tmp_path, DAY, "fraud-heavy", transactions=2000)
    with settled_day(db_url, generated, tmp_path / "reports", DAY) as found:
        yield found


@pytest.fixture
def aside_always(monkeypatch: pytest.MonkeyPatch) -> list[fraud_aside.Screening | None]:
    """The second process for any day, not only days of 50,000 purchases; what each run
    got of it (None: it could not start)."""
    monkeypatch.setattr(run, "ASIDE_MIN_PURCHASES", 1)
    started: list[fraud_aside.Screening | None] = []
    real = run.screening_aside

    @contextmanager
    def watched(
        here: fraud_aside.DayScreen, job: fraud_aside.ScreenJob, labels: LabelSet | None
    ) -> Iterator[fraud_aside.DayScreen]:
        with real(here, job, labels) as screen:
            started.append(screen.screening)
            yield screen

    monkeypatch.setattr(run, "screening_aside", watched)
    return started


def _results(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table: sorted(
                tuple(str(value) for value in row)
                for row in conn.execute(text(f"SELECT * FROM {table}"))  # noqa: S608
            )
            for table in RESULTS
        }


def _rerun(engine: Engine, settings: Settings, **kwargs: Any) -> run.RunReport:
    report = run_end_of_day(engine, settings, RunRequest(DAY, LATER, rerun=True, **kwargs))
    assert report.status == "completed", report.message
    return report


def test_the_second_process_makes_the_runs_own_flags(
    settled: tuple[Engine, Settings], aside_always: list[fraud_aside.Screening | None]
) -> None:
    engine, settings = settled
    _rerun(engine, settings)
    here = _results(engine)
    assert aside_always == []  # no opener: screened in the run
    report = _rerun(engine, settings, open_screen=screen_opener(settings))
    assert _results(engine) == here and here["fraud_flags"]
    assert "second one failed" not in report.message
    [screening] = aside_always
    assert screening is not None and screening.failure is None
    assert multiprocessing.active_children() == []


@pytest.mark.usefixtures("aside_always")
def test_a_rules_file_reaches_the_second_process(
    settled: tuple[Engine, Settings], tmp_path: Path
) -> None:
    engine, settings = settled
    rules = tmp_path / "rules.toml"
    rules.write_text('[rules.over_limit]\nlimit_eur = "150.00"\n', encoding="utf-8")
    settings = settings.model_copy(update={"fraud_rules_file": rules})
    _rerun(engine, settings)
    here = _results(engine)
    _rerun(engine, settings, open_screen=screen_opener(settings))
    assert _results(engine) == here
    over_limit = [row for row in here["fraud_flags"] if row[2] == "over_limit"]
    assert len(over_limit) > 10  # the file's lower limit, not the default's 2,500 EUR


@pytest.mark.usefixtures("aside_always")
def test_a_second_process_that_fails_leaves_the_screen_to_the_run(
    settled: tuple[Engine, Settings], tmp_path: Path
) -> None:
    engine, settings = settled
    _rerun(engine, settings)
    here = _results(engine)
    missing = partial(screen_store_at, f"sqlite:///{tmp_path / 'no-such.db'}")
    report = _rerun(engine, settings, open_screen=missing)
    assert _results(engine) == here
    assert "fraud screen in this process: the second one failed:" in report.message
    assert "no such file" in report.message and "\n" not in report.message
    assert multiprocessing.active_children() == []


@pytest.mark.usefixtures("aside_always")
def test_a_second_process_that_cannot_start_leaves_the_screen_to_the_run(
    settled: tuple[Engine, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, settings = settled
    _rerun(engine, settings)
    here = _results(engine)

    def no_process(*_args: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(fraud_aside.second_process, "start", no_process)
    report = _rerun(engine, settings, open_screen=screen_opener(settings))
    assert _results(engine) == here
    assert "the second one failed: it could not start: [Errno 11]" in report.message


def _labelled(engine: Engine, settings: Settings, tmp_path: Path, **kwargs: Any) -> run.RunReport:
    labels = read_label_set(tmp_path / "day" / "labels.csv")
    return _rerun(engine, settings, labels=labels, **kwargs)


def _scorecard(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT scorecard_json FROM eod_runs")).scalar_one())


def test_the_second_process_finds_the_scorecards_reach_the_run_would(
    settled: tuple[Engine, Settings], tmp_path: Path, aside_always: list[Any]
) -> None:
    """With labels, the second process finds the labelled fraud's reach after the card
    flags: the same scorecard, catchable shares included, as one process makes."""
    engine, settings = settled
    _labelled(engine, settings, tmp_path)
    here, scorecard = _results(engine), _scorecard(engine)
    assert '"catchable": ' in scorecard and '"catchable": null' not in scorecard
    report = _labelled(engine, settings, tmp_path, open_screen=screen_opener(settings))
    assert "second one failed" not in report.message
    assert [s is not None and s.failure is None for s in aside_always] == [True]
    assert _results(engine) == here
    assert _scorecard(engine) == scorecard


@pytest.mark.usefixtures("aside_always")
@pytest.mark.parametrize(
    ("breaks_at", "done_here", "sent"),
    [
        (broken_screen.reach_breaks_at, "fraud reach", "fraud screen"),
        (broken_screen.census_breaks_at, "scorecard census", "fraud reach"),
    ],
    ids=["after-the-card-flags", "after-the-reach"],
)
def test_a_second_process_that_fails_midway_leaves_the_rest_to_the_run(
    settled: tuple[Engine, Settings],
    tmp_path: Path,
    breaks_at: Callable[[str, str | None], Any],
    done_here: str,
    sent: str,
) -> None:
    """What the second process sent before it failed is used; the run does the rest, and
    says so: the same results and scorecard."""
    engine, settings = settled
    _labelled(engine, settings, tmp_path)
    here, scorecard = _results(engine), _scorecard(engine)
    breaks = partial(breaks_at, settings.database_url)
    report = _labelled(engine, settings, tmp_path, open_screen=breaks)
    assert f"{done_here} in this process: the second one failed: {broken_screen.BROKEN}" in (
        report.message
    )
    assert f"{sent} in this process" not in report.message
    assert _results(engine) == here
    assert _scorecard(engine) == scorecard
    assert multiprocessing.active_children() == []


@pytest.mark.usefixtures("aside_always")
def test_labels_that_cannot_be_packed_leave_the_screen_to_the_run(
    settled: tuple[Engine, Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The labels cross to the second process in a temporary file: when it cannot be
    written (a full disk) or its folder made, no second process starts, the run does it
    all and says why."""
    engine, settings = settled
    _labelled(engine, settings, tmp_path)
    here, scorecard = _results(engine), _scorecard(engine)

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fraud_aside.pickle, "dump", disk_full)
    report = _labelled(engine, settings, tmp_path, open_screen=screen_opener(settings))
    assert (
        "fraud screen in this process: the second one failed: it could not start: the labels"
        " could not be packed for it: [Errno 28] No space left on device" in report.message
    )
    assert _results(engine) == here
    assert _scorecard(engine) == scorecard
    monkeypatch.undo()
    monkeypatch.setattr(run, "ASIDE_MIN_PURCHASES", 1)
    monkeypatch.setattr(fraud_aside.tempfile, "tempdir", str(tmp_path / "no-such-folder"))
    report = _labelled(engine, settings, tmp_path, open_screen=screen_opener(settings))
    assert "could not be packed for it: [Errno 2] No such file or directory" in report.message
    assert _scorecard(engine) == scorecard


def test_the_labels_file_is_gone_after_the_run(
    settled: tuple[Engine, Settings],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    aside_always: list[Any],
) -> None:
    """The packed labels live in an unnamed temporary file while the run lasts, and no
    longer."""
    monkeypatch.setattr(fraud_aside.tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    engine, settings = settled
    _labelled(engine, settings, tmp_path, open_screen=screen_opener(settings))
    assert [s is not None and s.failure is None for s in aside_always] == [True]
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill"])
def test_a_run_stopped_by_a_signal_leaves_no_labels_file(
    settled: tuple[Engine, Settings], tmp_path: Path, stop: signal.Signals
) -> None:
    """A run ended as a service manager ends it (SIGTERM to its process group, then
    SIGKILL) runs no clean-up: no file of the labels may be left to outlive it (a 1M day's:
    16 MB of ground truth in the temporary folder each time)."""
    _, settings = settled
    tmp, marker = tmp_path / "tmp", tmp_path / "paused"
    tmp.mkdir()
    root = Path(__file__).parents[2]
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(root)}
    paths = [tmp_path / "reports", tmp_path / "day" / "labels.csv", marker]
    command = [sys.executable, "-m", "tests.support.paused_run", settings.database_url,
               *map(str, paths), "reconcile", str(DAY)]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=root, start_new_session=True)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), f"the run did not reach its pause (exit {process.poll()})"
    finally:
        os.killpg(process.pid, stop)
        process.wait(timeout=30)
    assert list(tmp.rglob("*")) == []


def test_the_second_process_sees_the_runs_snapshot_not_a_later_commit(
    settled: tuple[Engine, Settings],
    db_url: str,
    tmp_path: Path,
    aside_always: list[fraud_aside.Screening | None],
) -> None:
    """A purchase committed after the run took its view (PostgreSQL), or refused while it
    holds the write lock (SQLite), is not screened by the second process."""
    engine, settings = settled
    _labelled(engine, settings, tmp_path)
    here, scorecard = _results(engine), _scorecard(engine)
    seen: list[str] = []

    def after_step(name: str, _conn: Connection) -> None:
        if name == "reset":  # the second process is started: the run's view is taken
            seen.append(_commit_a_big_purchase(db_url))

    opener = screen_opener(settings)
    _labelled(engine, settings, tmp_path, open_screen=opener, after_step=after_step)
    assert seen == ["locked" if db_url.startswith("sqlite") else "committed"]
    assert [s is not None and s.failure is None for s in aside_always] == [True]
    flagged = {row[1] for row in _results(engine)["fraud_flags"]}
    assert "after-the-snapshot" not in flagged
    assert _results(engine)["fraud_flags"] == here["fraud_flags"]
    assert _scorecard(engine) == scorecard  # the census counted the run's purchases only


def _commit_a_big_purchase(url: str) -> str:
    """A purchase of 9,000 EUR on the run's date, on a card of its own: over_limit flags it
    if anything screens it. On SQLite the run's write lock refuses it at once."""
    other = create_engine(url, connect_args={"timeout": 0.1} if url.startswith("sqlite") else {})
    try:
        with other.begin() as conn:
            row = (
                conn.execute(
                    text("SELECT * FROM staged_transactions WHERE business_date = :d LIMIT 1"),
                    {"d": DAY},
                )
                .mappings()
                .one()
            )
            copy = dict(row) | {
                "transaction_id": "after-the-snapshot", "card_token": "t" * 64,
                "amount_minor": 900_000, "currency": "EUR", "transaction_type": "purchase",
                "message_id": "after-the-snapshot", "original_transaction_id": None,
            }  # fmt: skip
            columns = ", ".join(copy)
            conn.execute(
                text(f"INSERT INTO staged_transactions ({columns}) VALUES"  # noqa: S608
                     f" ({', '.join(':' + c for c in copy)})"),
                copy,
            )  # fmt: skip
    except Exception as error:  # noqa: BLE001 - SQLite: the lock the run holds
        assert "locked" in str(error)
        return "locked"
    finally:
        other.dispose()
    return "committed"


@pytest.mark.parametrize(
    "snapshot", ["x'; DROP TABLE staged_transactions; --", "", "00000003-0000001B-1 '", "1" * 60]
)
def test_a_snapshot_id_that_is_not_one_is_refused(engine: Engine, snapshot: str) -> None:
    with pytest.raises(ValueError, match="not an exported snapshot id"):
        with eod_store.snapshot_store(engine, snapshot):
            pass


def test_a_rulebook_built_by_hand_or_a_store_in_memory_stays_in_the_run() -> None:
    shipped = load_rulebook(None)
    assert shipped.source is not None and shipped.source.text is None
    by_hand = type(shipped)(shipped.rules, shipped.review_at, shipped.decline_at)
    assert by_hand.source is None
    assert MemoryEodStore([], [], [], {}).purchases_at_least(DAY, 1) is False
    assert fraud_aside.ASIDE_MIN_PURCHASES == 50_000
