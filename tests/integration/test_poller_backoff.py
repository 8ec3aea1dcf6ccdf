"""The poller's backoff, on moto with an injected sleep: no test here waits on a real clock.

A message the handler reports back is hidden min(cap, base * 2**(receives-1)) seconds; a
worker whose whole batch failed pauses with jittered exponential backoff, one log line per
pause, and resets after a batch goes through. The SQS client is wrapped so the test sees
the visibility the poller asks for while moto is told 0, so the redelivery is immediate.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from moto import mock_aws
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from settlement.adapters.database import create_db_engine, upgrade
from settlement.adapters.sqs_events import queue_arn, send_bodies
from settlement.adapters.staging import RejectRow, StagedRow, StageOutcome, StagingRepository
from settlement.adapters.tables import staged_transactions
from settlement.config import load_settings
from settlement.entrypoints.wiring import gateway_from_settings
from settlement.gateway.handler import process_event
from settlement.gateway.poller import (
    Poller,
    PollerConfig,
    batch_failure_pause_s,
    redelivery_delay_s,
    start_line,
)
from settlement.gateway.service import BatchReport, Gateway
from tests.support.messages import body

REGION = "eu-west-1"
ARN = queue_arn(REGION, "backoff-test")


class VisibilitySpy:
    """An SQS client that records the visibility the poller asks for and applies 0 instead."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs
        self.requested: list[tuple[str, int]] = []  # (receipt handle, seconds)

    def change_message_visibility_batch(self, **kwargs: Any) -> Any:
        entries = kwargs.pop("Entries")
        self.requested += [(e["ReceiptHandle"], e["VisibilityTimeout"]) for e in entries]
        immediate = [{**e, "VisibilityTimeout": 0} for e in entries]
        return self._sqs.change_message_visibility_batch(Entries=immediate, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sqs, name)


class TopOfRange(random.Random):
    """Jitter always at its maximum, so a pause equals its exponential step."""

    def uniform(self, a: float, b: float) -> float:
        return b


@pytest.fixture
def queue() -> Iterator[tuple[Any, str]]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        yield sqs, sqs.create_queue(QueueName="backoff-test")["QueueUrl"]


def config(url: str, **overrides: Any) -> PollerConfig:
    base: dict[str, Any] = {"batch_size": 10, "wait_s": 0, "drain": True,
                            "retry_backoff_s": 1, "retry_backoff_max_s": 5}  # fmt: skip
    return PollerConfig(url, ARN, REGION, **(base | overrides))


def failing(ids: set[str]) -> Any:
    """A handler that reports every record whose body is in `ids` for redelivery."""

    def handle(event: dict[str, Any]) -> tuple[Any, BatchReport]:
        failed = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] in ids]
        return {"batchItemFailures": failed}, BatchReport(received=len(event["Records"]))

    return handle


# ---------------------------------------------------------------- the pure schedule


@pytest.mark.parametrize(
    ("receives", "expected_s"), [(0, 1), (1, 1), (2, 2), (3, 4), (4, 8), (7, 60), (10_000, 60)]
)
def test_redelivery_delay_doubles_per_receive_up_to_the_cap(receives: int, expected_s: int) -> None:
    assert redelivery_delay_s(receives, base_s=1, cap_s=60) == expected_s


def test_pause_is_at_least_half_its_step_and_at_most_the_step() -> None:
    rng = random.Random(7)
    for failures, step_s in [(1, 2), (2, 4), (3, 8), (4, 10), (50, 10)]:
        pauses = [batch_failure_pause_s(failures, 2, 10, rng) for _ in range(200)]
        assert all(step_s / 2 <= p <= step_s for p in pauses)
        assert len(set(pauses)) > 100, "the jitter must actually vary"


def test_start_line_names_queue_batch_size_and_wait() -> None:
    line = start_line(PollerConfig("http://q/url", ARN, REGION, batch_size=3, wait_s=7))
    assert line == "consuming http://q/url (batch size 3, wait 7s)"


# ---------------------------------------------------------------- the poller on moto


def test_a_failing_message_is_hidden_longer_on_each_receive_and_the_worker_pauses(
    queue: tuple[Any, str], caplog: pytest.LogCaptureFixture
) -> None:
    sqs, url = queue
    send_bodies(sqs, url, ["good-1", "poison", "good-2"])
    spy, stop, slept = VisibilitySpy(sqs), threading.Event(), []
    calls = []
    base = failing({"poison"})

    def handler(event: dict[str, Any]) -> tuple[Any, BatchReport]:
        calls.append(sorted(r["body"] for r in event["Records"]))
        if len(calls) == 6:
            stop.set()
        return base(event)

    caplog.set_level(logging.INFO, logger="settlement.gateway.poller")
    poller = Poller(spy, handler, config(url), stop, sleep=slept.append, rng=TopOfRange())  # type: ignore[arg-type]
    poller.run()

    assert calls[0] == ["good-1", "good-2", "poison"] and calls[1:] == [["poison"]] * 5
    assert [seconds for _, seconds in spy.requested] == [1, 2, 4, 5, 5, 5]  # receives 1..6
    # the first batch half-succeeded (no pause); the five poison-only batches each paused
    assert slept == poller.pauses_s == [1.0, 2.0, 4.0, 5.0, 5.0]
    pauses = [r.getMessage() for r in caplog.records if "pausing" in r.getMessage()]
    assert pauses[0] == "whole batch of 1 failed (1 in a row): pausing 1.0 s before polling again"
    assert len(pauses) == 5
    assert caplog.records[0].getMessage() == f"consuming {url} (batch size 10, wait 0s)"


def test_a_handler_that_raises_leaves_the_batch_for_redelivery_then_recovers(
    queue: tuple[Any, str],
) -> None:
    sqs, url = queue
    send_bodies(sqs, url, ["a", "b", "c"])
    spy, slept, handled = VisibilitySpy(sqs), [], []

    def handler(event: dict[str, Any]) -> tuple[Any, BatchReport]:
        if not handled:
            handled.append("crash")
            raise RuntimeError("unexpected")
        handled.extend(r["body"] for r in event["Records"])
        return {"batchItemFailures": []}, BatchReport(received=len(event["Records"]))

    poller = Poller(spy, handler, config(url), threading.Event(), sleep=slept.append)  # type: ignore[arg-type]
    poller.run()
    assert sorted(handled[1:]) == ["a", "b", "c"]  # redelivered whole, handled once each
    assert len(spy.requested) == 3 and {s for _, s in spy.requested} == {1}
    assert len(slept) == 1 and 0.5 <= slept[0] <= 1.0
    assert poller.failed_batches == 0  # reset by the batch that went through
    left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert left["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_a_pause_ends_early_on_stop(queue: tuple[Any, str]) -> None:
    """The default sleep is the stop event: SIGTERM during a long pause exits at once."""
    sqs, url = queue
    send_bodies(sqs, url, ["x"])
    stop = threading.Event()
    poller = Poller(
        sqs, failing({"x"}), config(url, retry_backoff_s=3600, retry_backoff_max_s=3600), stop
    )
    threading.Timer(0.2, stop.set).start()
    worker = threading.Thread(target=poller.run)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive() and len(poller.pauses_s) == 1 and poller.pauses_s[0] >= 1800


# ---------------------------------------------------------------- database down, both backends


class OutageRepository(StagingRepository):
    """The database is unreachable for the first `outage_batches` calls, then healthy."""

    def __init__(self, engine: Engine, outage_batches: int) -> None:
        super().__init__(engine)
        self.outage_left = outage_batches

    def stage(
        self,
        rows: Sequence[StagedRow],
        rejects: Sequence[RejectRow],
        received_at: Any,
        record: Any = None,
    ) -> StageOutcome:
        if self.outage_left > 0:
            self.outage_left -= 1
            raise OperationalError("INSERT", {}, Exception("connection refused"))
        return super().stage(rows, rejects, received_at, record)


def test_database_down_pauses_the_worker_and_loses_nothing(
    db_url: str, queue: tuple[Any, str]
) -> None:
    sqs, url = queue
    upgrade(db_url)
    engine = create_db_engine(db_url, write_lock_on_begin=True)
    try:
        real = gateway_from_settings(load_settings(), engine)
        # per poll, the batch call and then one call per record fail: two polls' worth
        down = Gateway(OutageRepository(engine, 2 * 5), real.policy, real.clock)
        bodies = [body(i) for i in range(3)]
        send_bodies(sqs, url, bodies + bodies[:1])  # one duplicate delivery too
        spy, slept, totals = VisibilitySpy(sqs), [], BatchReport()
        poller = Poller(
            spy, lambda e: process_event(e, down), config(url, batch_size=4), threading.Event(),
            totals.merge, sleep=slept.append, rng=TopOfRange(),
        )  # type: ignore[arg-type]  # fmt: skip
        poller.run()
        with engine.connect() as conn:
            staged = conn.execute(select(func.count()).select_from(staged_transactions))
            assert staged.scalar_one() == 3
    finally:
        engine.dispose()
    assert slept == [1.0, 2.0]  # two whole-batch failures in a row, then it went through
    assert [s for _, s in spy.requested] == [1] * 4 + [2] * 4
    assert (totals.staged, totals.duplicates) == (3, 1)


# ---------------------------------------------------------------- the CLI


def test_consume_prints_its_start_line_and_uses_the_backoff_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from settlement.cli import app
    from settlement.cli import gateway as gateway_cli

    monkeypatch.setenv("CARDSETTLE_RETRY_BACKOFF_BASE_S", "3")
    monkeypatch.setenv("CARDSETTLE_RETRY_BACKOFF_MAX_S", "90")
    built = gateway_cli._poller_config(load_settings(), "http://q", 5, 2, drain=True)
    assert (built.retry_backoff_s, built.retry_backoff_max_s) == (3, 90)
    result = CliRunner().invoke(
        app, ["gateway", "consume", "--drain", "--batch-size", "4", "--wait-seconds", "0"]
    )
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("consuming https://") and first.endswith(
        "/cardsettle-transactions (batch size 4, wait 0s)"
    )


# ---------------------------------------------------------------- SQS itself failing


class FlakySqs:
    """An SQS client whose first `failures` receives fail as a dropped connection would."""

    def __init__(self, sqs: Any, failures: int) -> None:
        self._sqs, self.failures_left = sqs, failures

    def receive_message(self, **kwargs: Any) -> Any:
        if self.failures_left > 0:
            self.failures_left -= 1
            raise EndpointConnectionError(endpoint_url="http://sqs.down")
        return self._sqs.receive_message(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sqs, name)


def test_an_unreachable_queue_pauses_the_worker_instead_of_killing_it(
    queue: tuple[Any, str], caplog: pytest.LogCaptureFixture
) -> None:
    sqs, url = queue
    send_bodies(sqs, url, ["a", "b"])
    slept: list[float] = []
    handled: list[str] = []

    def handler(event: dict[str, Any]) -> tuple[Any, BatchReport]:
        handled.extend(r["body"] for r in event["Records"])
        return {"batchItemFailures": []}, BatchReport(received=len(event["Records"]))

    caplog.set_level(logging.INFO, logger="settlement.gateway.poller")
    flaky = FlakySqs(sqs, failures=3)
    poller = Poller(
        flaky, handler, config(url), threading.Event(), sleep=slept.append, rng=TopOfRange()
    )  # type: ignore[arg-type]
    poller.run()
    assert sorted(handled) == ["a", "b"] and flaky.failures_left == 0
    assert slept == [1.0, 2.0, 4.0]  # backoff grew while SQS was away
    assert poller.failed_batches == 0
    lines = [r.getMessage() for r in caplog.records]
    assert sum("SQS call failed: Could not connect" in line for line in lines) == 3
    assert "SQS call failed (3 in a row): pausing 4.0 s before polling again" in lines
