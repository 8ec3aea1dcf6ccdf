"""The end of day refuses what would settle nothing or the wrong thing, and claims nothing
when it does: a date still open, a date without data, another database's payout file. It
never says "completed" for a database file deleted under it, and the payout file is only
ever replaced by a --rerun (issue 14, item 5)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, select

from settlement.adapters import database
from settlement.adapters.eod_tables import eod_runs
from settlement.config import Settings
from settlement.eod.payout_file import payout_file_path, write_payout_file
from settlement.eod.run import RunRequest, run_end_of_day
from settlement.errors import DatabaseReplaced, OutputNotWritable, PayoutFileConflict
from settlement.exit_codes import ExitCode
from tests.support.staging_builder import insert_staged, migrated_database, staged

DAY = date(2026, 3, 11)  # cutoff 22:00 CET = 21:00 UTC
CUTOFF = datetime(2026, 3, 11, 21, 0)
Setup = tuple[Engine, Settings]


@pytest.fixture
def setup(db_url: str, tmp_path: Path) -> Iterator[Setup]:
    with migrated_database(db_url, tmp_path) as ready:
        yield ready


def one_sale(engine: Engine, day: date = DAY) -> None:
    at = datetime.combine(day, datetime.min.time()) + timedelta(hours=12)
    insert_staged(engine, [staged(f"S-{day}", "10.00", business_date=day, at=at)])


def claimed(engine: Engine) -> list[tuple[date, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(eod_runs.c.business_date, eod_runs.c.status))
        return [(d if isinstance(d, date) else date.fromisoformat(d), s) for d, s in rows]


def test_a_date_before_its_cutoff_is_refused_unclaimed(setup: Setup) -> None:
    engine, settings = setup
    one_sale(engine)
    early = run_end_of_day(engine, settings, RunRequest(DAY, CUTOFF - timedelta(seconds=1)))
    assert (early.status, early.reason, early.exit_code) == (
        "refused", "before_cutoff", ExitCode.REFUSED,
    )  # fmt: skip
    assert "2026-03-11 21:00 UTC" in early.message and "--before-cutoff" in early.message
    assert claimed(engine) == [] and not settings.reports_dir.exists()
    forced = RunRequest(DAY, CUTOFF - timedelta(hours=2), before_cutoff=True)
    assert run_end_of_day(engine, settings, forced).status == "completed"
    at_cutoff = run_end_of_day(engine, settings, RunRequest(DAY, CUTOFF))
    assert at_cutoff.status == "already_completed" and at_cutoff.exit_code == ExitCode.REFUSED


def test_an_empty_date_is_refused_unless_allowed(setup: Setup) -> None:
    engine, settings = setup
    one_sale(engine, DAY - timedelta(days=1))  # data of another date does not count
    empty = run_end_of_day(engine, settings, RunRequest(DAY, CUTOFF))
    assert (empty.status, empty.reason) == ("refused", "empty")
    assert "--allow-empty" in empty.message and claimed(engine) == []
    holiday = run_end_of_day(engine, settings, RunRequest(DAY, CUTOFF, allow_empty=True))
    assert holiday.status == "completed" and holiday.exit_code == ExitCode.DONE
    assert payout_file_path(DAY, settings.reports_dir).read_text().count("\n") == 1
    assert claimed(engine) == [(DAY, "completed")]


def test_a_journal_alone_is_not_an_empty_day(setup: Setup) -> None:
    from settlement.adapters.imports import import_journal  # noqa: PLC0415

    engine, settings = setup
    header = "transaction_id,terminal_id,merchant_id,type,amount,currency,local_time,pan_last4,"
    line = "J1,T1,M1,purchase,5.00,EUR,2026-03-11T12:00:00+01:00,1111,"
    assert import_journal(engine, [header + "original_transaction_id", line], settings, CUTOFF)
    report = run_end_of_day(engine, settings, RunRequest(DAY, CUTOFF))
    assert report.status == "completed", report.message
    assert report.counts["classes"] == {"missing_in_staging": 1}


def test_another_databases_payout_file_is_refused_and_kept(setup: Setup) -> None:
    engine, settings = setup
    one_sale(engine)
    theirs = payout_file_path(DAY, settings.reports_dir)
    theirs.parent.mkdir(parents=True)
    theirs.write_text("their payouts\n")
    refused = run_end_of_day(engine, settings, RunRequest(DAY, CUTOFF))
    assert (refused.status, refused.reason) == ("refused", "payout_file_exists")
    assert str(theirs) in refused.message and "--rerun" in refused.message
    assert theirs.read_text() == "their payouts\n" and claimed(engine) == []
    replaced = run_end_of_day(engine, settings, RunRequest(DAY, CUTOFF, rerun=True))
    assert replaced.status == "completed" and theirs.read_text().startswith("business_date,")
    assert sorted(p.name for p in theirs.parent.iterdir()) == [theirs.name]  # no temp left


def test_the_payout_file_is_replaced_only_when_asked(setup: Setup, tmp_path: Path) -> None:
    engine, settings = setup
    one_sale(engine)
    assert run_end_of_day(engine, settings, RunRequest(DAY, CUTOFF)).status == "completed"
    target = payout_file_path(DAY, settings.reports_dir)
    ours = target.read_bytes()
    assert write_payout_file(engine, DAY, settings.reports_dir) == target  # same: a no-op
    target.write_text("edited by hand\n")
    with pytest.raises(PayoutFileConflict, match="--rerun"):
        write_payout_file(engine, DAY, settings.reports_dir)
    assert target.read_text() == "edited by hand\n"
    write_payout_file(engine, DAY, settings.reports_dir, replace=True)
    assert target.read_bytes() == ours
    assert [p.name for p in settings.reports_dir.iterdir()] == [target.name]


def test_an_unwritable_reports_directory_fails_before_the_claim(setup: Setup) -> None:
    engine, settings = setup
    one_sale(engine)
    settings.reports_dir.parent.mkdir(parents=True, exist_ok=True)
    settings.reports_dir.write_text("a file where the directory should be\n")
    with pytest.raises(OutputNotWritable, match="CARDSETTLE_REPORTS_DIR"):
        run_end_of_day(engine, settings, RunRequest(DAY, CUTOFF))
    assert claimed(engine) == []


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_database_file_gone_mid_run_is_not_completed(tmp_path: Path, how: str) -> None:
    url = f"sqlite:///{tmp_path / 'cardsettle.db'}"
    with migrated_database(url, tmp_path) as (engine, settings):
        one_sale(engine)
        path = tmp_path / "cardsettle.db"

        def pull_the_file(step: str, _conn: Connection) -> None:
            if step == "ledger":
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                if how == "replaced":
                    database.upgrade(url)  # a fresh database where the old one was

        request = RunRequest(DAY, CUTOFF, after_step=pull_the_file)
        with pytest.raises(DatabaseReplaced, match="deleted or replaced") as raised:
            run_end_of_day(engine, settings, request)
        assert raised.value.exit_code == ExitCode.FAILED and str(path) in str(raised.value)
        assert not payout_file_path(DAY, settings.reports_dir).exists()
        assert (how == "replaced") == path.exists()


def test_the_scheduled_job_never_recreates_a_deleted_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from settlement.entrypoints.scheduler import end_of_day_job  # noqa: PLC0415

    gone = tmp_path / "cardsettle.db"  # deleted while the scheduler waited for the cutoff
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", f"sqlite:///{gone}")
    end_of_day_job()
    assert "end of day not run" in capsys.readouterr().out and not gone.exists()


def test_catch_up_stops_at_a_refused_date_so_dates_settle_in_order(setup: Setup) -> None:
    from settlement.eod.catch_up import catch_up  # noqa: PLC0415

    engine, settings = setup
    later = DAY + timedelta(days=1)
    one_sale(engine)
    one_sale(engine, later)
    foreign = payout_file_path(DAY, settings.reports_dir)
    foreign.parent.mkdir(parents=True)
    foreign.write_text("their payouts\n")
    reports = catch_up(engine, settings, lambda: CUTOFF + timedelta(days=2))
    assert [(r.business_date, r.reason) for r in reports] == [(DAY, "payout_file_exists")]
    assert claimed(engine) == []
    foreign.unlink()
    reports = catch_up(engine, settings, lambda: CUTOFF + timedelta(days=2))
    assert [(r.business_date, r.status) for r in reports] == [
        (DAY, "completed"), (later, "completed"),
    ]  # fmt: skip
