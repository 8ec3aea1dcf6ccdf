"""The end-of-day Lambda handler on SQLite and PostgreSQL, with moto for the reports bucket:
it runs the date the event names (or the last closed one), returns a JSON-able summary,
publishes the payout file, and a retry of a completed date changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from settlement.adapters import aws
from settlement.adapters.eod_tables import eod_runs, payouts
from settlement.config import Settings
from settlement.entrypoints import lambdas
from settlement.eod.run import RunRequest, run_end_of_day
from tests.support.hand_day import DAY, NOW, eod_database, load_hand_day
from tests.support.staging_builder import claim_running

Setup = tuple[Engine, Settings]


@pytest.fixture
def setup(db_url: str, tmp_path: Path) -> Iterator[Setup]:
    with eod_database(db_url, tmp_path) as (engine, settings):
        load_hand_day(engine, settings)
        yield engine, settings


def _published(settings: Settings, key: str) -> str:
    body = aws.s3_client(settings).get_object(Bucket=settings.s3_bucket, Key=key)["Body"]
    return body.read().decode()


def _payout_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(payouts)).scalar_one())


def test_scheduled_event_runs_the_date_that_just_closed(setup: Setup) -> None:
    engine, settings = setup
    # NOW is the 11th's cutoff instant (22:00 CET): the event names no date.
    result = lambdas.run_eod_event({}, settings, engine, lambda: NOW)
    assert json.loads(json.dumps(result)) == result
    assert (result["business_date"], result["status"]) == ("2026-03-11", "completed")
    direct = run_end_of_day(engine, settings, RunRequest(DAY, NOW, rerun=True))
    assert result["counts"] == direct.counts and result["totals"] == direct.totals
    assert result["totals"]["payouts"]["USD"]["payout_minor"] == -11562
    assert result["counts"]["classes"]["missing_in_staging"] == 1
    [key] = result["payout_file_keys"]
    assert key == "reports/2026-03-11/payouts-2026-03-11.csv"
    published = _published(settings, key)
    assert "M2,USD,86.80,200.00,1.99,0.43,-115.62,debit,2" in published
    assert published.encode() == (settings.reports_dir / "payouts-2026-03-11.csv").read_bytes()


def test_a_retry_of_a_completed_date_changes_nothing_and_republishes(setup: Setup) -> None:
    engine, settings = setup
    event = {"business_date": "2026-03-11"}
    first = lambdas.run_eod_event(event, settings, engine, lambda: NOW + timedelta(hours=1))
    assert first["status"] == "completed" and _payout_rows(engine) == 3
    (settings.reports_dir / "payouts-2026-03-11.csv").unlink()  # a lost /tmp, a failed upload
    again = lambdas.run_eod_event(event, settings, engine, lambda: NOW + timedelta(hours=2))
    assert again["status"] == "already_completed" and "--rerun" in again["message"]
    assert again["counts"] == {} and _payout_rows(engine) == 3
    assert _published(settings, again["payout_file_keys"][0]) == _published(
        settings, first["payout_file_keys"][0]
    )
    rerun = lambdas.run_eod_event(
        {**event, "rerun": True}, settings, engine, lambda: NOW + timedelta(hours=3)
    )
    assert rerun["status"] == "completed" and "attempt 2" in rerun["message"]
    assert rerun["totals"] == first["totals"] and _payout_rows(engine) == 3


def test_a_date_running_elsewhere_is_refused_and_nothing_published(setup: Setup) -> None:
    engine, settings = setup
    claim_running(engine, DAY, NOW)
    result = lambdas.run_eod_event({}, settings, engine, lambda: NOW + timedelta(minutes=5))
    assert result["status"] == "refused" and "host-b:42" in result["message"]
    assert result["payout_file_keys"] == [] and _payout_rows(engine) == 0


def test_handler_reads_the_settings_and_caches_its_engine(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, settings = setup
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CARDSETTLE_REPORTS_DIR", str(settings.reports_dir))
    engines: dict[str, Engine] = {}
    monkeypatch.setattr(lambdas, "_ENGINES", engines)
    context: Any = SimpleNamespace(aws_request_id="req-7")
    try:
        # the real clock: 2026-03-11 closed long ago
        result = lambdas.eod_handler({"business_date": "2026-03-11"}, context)
        assert result["status"] == "completed", result["message"]
        again = lambdas.eod_handler({"business_date": "2026-03-11"}, context)
        assert again["status"] == "already_completed"
        assert list(engines) == [settings.database_url]
        with engine.connect() as conn:
            owner = conn.execute(select(eod_runs.c.owner)).scalar_one()
        assert owner == "lambda:req-7"
        still_open = lambdas.eod_handler({"business_date": "2999-01-01"}, context)
        assert (still_open["status"], still_open["reason"]) == ("refused", "before_cutoff")
        assert still_open["payout_file_keys"] == []
    finally:
        for cached in engines.values():
            cached.dispose()
