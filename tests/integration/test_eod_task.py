"""The end of day as a container task, on SQLite and PostgreSQL with moto for the reports
bucket: `python -m settlement.entrypoints.eod_task` as ECS starts it (settings from the
environment, no flags), its summary line, its exit codes and its payout file in S3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from settlement.adapters import aws
from settlement.adapters.eod_tables import eod_runs
from settlement.config import load_settings
from settlement.entrypoints import eod_task
from settlement.exit_codes import ExitCode
from tests.support.hand_day import NOW, eod_database, load_hand_day


def _summary(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    [line] = capsys.readouterr().out.splitlines()
    loaded = json.loads(line)
    assert isinstance(loaded, dict)
    return loaded


def test_the_scheduled_task_closes_the_day_and_a_second_start_is_refused(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    with eod_database(db_url, tmp_path) as (engine, settings):
        load_hand_day(engine, settings)
        monkeypatch.setenv("CARDSETTLE_DATABASE_URL", db_url)
        monkeypatch.setenv("CARDSETTLE_REPORTS_DIR", str(settings.reports_dir))
        monkeypatch.setenv("CARDSETTLE_FX_MARKUP_BPS", str(settings.fx_markup_bps))
        # NOW is the 11th's cutoff instant: the task, like the Lambda, closes the 11th
        assert eod_task.main([], clock=lambda: NOW) == ExitCode.DONE
        done = _summary(capsys)
        assert (done["business_date"], done["status"]) == ("2026-03-11", "completed")
        key = "reports/2026-03-11/payouts-2026-03-11.csv"
        assert done["payout_file_keys"] == [key]
        body = aws.s3_client(load_settings()).get_object(Bucket=settings.s3_bucket, Key=key)
        assert b"M2,USD,86.80,200.00,1.99,0.43,-115.62,debit,2" in body["Body"].read()
        with engine.connect() as conn:
            assert conn.execute(select(eod_runs.c.owner)).scalar_one().startswith("ecs:")
        # a second start (a retry, the other engine) changes nothing: refused, exit 3
        assert eod_task.main([], clock=lambda: NOW) == ExitCode.REFUSED
        assert _summary(capsys)["status"] == "already_completed"
        assert eod_task.main(["--date", "2999-01-01"], clock=lambda: NOW) == ExitCode.REFUSED
        assert _summary(capsys)["reason"] == "before_cutoff"


def test_a_missing_database_is_one_line_and_nothing_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.db"
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", f"sqlite:///{missing}")
    assert eod_task.main([], clock=lambda: NOW) not in {ExitCode.DONE, ExitCode.REFUSED}
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("end of day not run:") and not missing.exists()
