"""The end of day as a container task (`settlement.entrypoints.eod_task`): the same business
date as the Lambda for the same clock, and the run's verdict as the process's exit code.

No database and no AWS: the run itself is replaced by a recorder (the integration test
tests/integration/test_eod_task.py runs a real day); the clock is always injected.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.config import load_settings
from settlement.entrypoints import eod_task, lambdas
from settlement.eod.lambda_event import last_closed_business_date
from settlement.eod.run import RunReport, RunReportStatus, RunRequest
from settlement.exit_codes import ExitCode

SETTINGS = load_settings()  # Europe/Amsterdam, cutoff 22:00
ENGINE: Any = object()  # never touched: the run is replaced
NOW = datetime(2026, 3, 12, 6, 0)
CARD = "4111111111111111"


@contextmanager
def recorded_runs(status: RunReportStatus = RunReportStatus.REFUSED) -> Iterator[list[RunRequest]]:
    """Replace the run with one that records its request and answers `status` (a refusal
    publishes nothing, so no S3 either)."""
    requests: list[RunRequest] = []

    def run(_engine: object, _settings: object, request: RunRequest) -> RunReport:
        requests.append(request)
        return RunReport(request.business_date, status, f"{status} {request.business_date}")

    with mock.patch("settlement.eod.run.run_end_of_day", run):
        yield requests


@settings(deadline=None)  # the first example imports the end of day's modules
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
def test_the_task_closes_the_date_the_lambda_closes_for_the_same_clock(now: datetime) -> None:
    with recorded_runs() as requests:
        lambdas.run_eod_event(None, SETTINGS, ENGINE, lambda: now)
        eod_task.run_task(eod_task.event_from_argv([]), SETTINGS, ENGINE, lambda: now)
    by_lambda, by_task = requests
    assert by_task.business_date == by_lambda.business_date
    assert by_task.business_date == last_closed_business_date(now, SETTINGS)
    assert (by_task.now, by_task.rerun, by_task.allow_empty) == (now, False, False)


def test_the_dst_changeover_cutoff_is_closed_alike() -> None:
    """22:00 CEST on 2026-03-29 is 20:00 UTC: both engines close the 29th at that instant."""
    cutoff = datetime(2026, 3, 29, 20, 0)
    with recorded_runs() as requests:
        lambdas.run_eod_event({}, SETTINGS, ENGINE, lambda: cutoff)
        eod_task.run_task(eod_task.event_from_argv([]), SETTINGS, ENGINE, lambda: cutoff)
    assert [r.business_date for r in requests] == [date(2026, 3, 29)] * 2
    assert cutoff.replace(tzinfo=UTC).astimezone(SETTINGS.zone).hour == 22


def test_flags_are_the_lambdas_event() -> None:
    argv = ["--date", "2026-03-02", "--rerun", "--allow-empty"]
    event = {"business_date": "2026-03-02", "rerun": True, "allow_empty": True}
    assert eod_task.event_from_argv(argv) == event
    with recorded_runs() as requests:
        eod_task.run_task(eod_task.event_from_argv(argv), SETTINGS, ENGINE, lambda: NOW, "ecs:h")
    [request] = requests
    assert (request.business_date, request.rerun, request.allow_empty) == (
        date(2026, 3, 2), True, True,
    )  # fmt: skip
    assert request.owner == "ecs:h"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (RunReportStatus.COMPLETED, ExitCode.DONE),
        (RunReportStatus.ALREADY_COMPLETED, ExitCode.REFUSED),
        (RunReportStatus.REFUSED, ExitCode.REFUSED),
    ],
)
def test_the_verdict_is_the_exit_code_and_the_summary_one_json_line(
    status: RunReportStatus, code: ExitCode, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    asked: list[object] = []

    def published(*_args: object, screen_aside: bool = False) -> tuple[RunReport, list[str]]:
        asked.append(screen_aside)
        return RunReport(date(2026, 3, 11), status, "the message"), ["reports/k.csv"]

    monkeypatch.setattr(lambdas, "run_and_publish", published)
    assert eod_task.run_task({}, SETTINGS, ENGINE, lambda: NOW) is code
    assert asked == [True]  # the task, where large days run, screens them in a second process
    [line] = capsys.readouterr().out.splitlines()
    assert f'"status": "{status}"' in line and '"reports/k.csv"' in line


class _Engine:
    disposed = False

    def dispose(self) -> None:
        self.disposed = True


def _main_with(monkeypatch: pytest.MonkeyPatch, run: Any, argv: list[str]) -> tuple[int, _Engine]:
    engine = _Engine()
    monkeypatch.setattr(eod_task, "_open_engine", lambda _settings: engine)
    monkeypatch.setattr(lambdas, "run_and_publish", run)
    return eod_task.main(argv, clock=lambda: NOW), engine


def test_a_failed_run_exits_1_with_one_line_and_no_card_number(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"invariant broke near {CARD}")

    code, engine = _main_with(monkeypatch, failing, [])
    assert code == ExitCode.FAILED and engine.disposed
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("end of day failed: RuntimeError: invariant broke") and CARD not in line


def test_a_bad_date_is_a_usage_error_before_anything_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with recorded_runs() as requests:
        code, _ = _main_with(monkeypatch, lambdas.run_and_publish, ["--date", "11/03/2026"])
    assert code == ExitCode.USAGE and requests == []
    assert "business_date must be YYYY-MM-DD" in capsys.readouterr().err


def test_bad_settings_are_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CARDSETTLE_CUTOFF_TIME", "25:99")
    assert eod_task.main([], clock=lambda: NOW) == ExitCode.USAGE
    assert "CUTOFF_TIME" in capsys.readouterr().err.upper()
