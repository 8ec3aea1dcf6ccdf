"""`ingest_via_sqs` in both its shapes: sender and consumers as threads (a network endpoint)
and taking turns in one thread (the embedded SQS). Either way every message sent is handled
exactly once or dead-lettered, the queue stays shallow, and ingest returns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import Engine, func, select

from settlement.adapters.aws import create_queues
from settlement.adapters.tables import staged_transactions
from settlement.config import Settings, load_settings
from settlement.entrypoints.wiring import gateway_from_settings
from settlement.gateway.handler import process_event
from settlement.gateway.ingest import IngestSummary, SqsIngestPlan, ingest_via_sqs
from settlement.gateway.poller import PollerConfig
from settlement.gateway.service import BatchReport, Gateway
from tests.support.messages import body
from tests.support.serialized import Serialized

ARN = "arn:aws:sqs:eu-west-1:123456789012:cardsettle-transactions"


def staged(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(staged_transactions)).scalar_one())


class Rig:
    def __init__(self, settings: Settings, sqs: Any, one_thread: bool) -> None:
        self.main_url, self.dlq_url = create_queues(sqs, settings)
        self.sqs = sqs if one_thread else Serialized(sqs)  # moto in-process is not thread-safe
        self.one_thread = one_thread
        self.depths: list[int] = []

    def ingest(self, path: Path, handler: Any, workers: int = 3) -> IngestSummary:
        config = PollerConfig(
            self.main_url, ARN, "eu-west-1", batch_size=10, wait_s=0,
            retry_backoff_s=1, retry_backoff_max_s=1,
        )  # fmt: skip
        plan = SqsIngestPlan(
            self.sqs, self.main_url, self.dlq_url, config, workers=workers, max_in_flight=20,
            one_thread=self.one_thread,
        )  # fmt: skip
        return ingest_via_sqs(path, handler, plan, lambda _n: self.depths.append(self.depth()))

    def depth(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.main_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])


@pytest.fixture
def rig(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    monkeypatch.setenv("CARDSETTLE_MAX_RECEIVE_COUNT", "2")
    with mock_aws():
        yield Rig(load_settings(), boto3.client("sqs", region_name="eu-west-1"), request.param)


@pytest.mark.parametrize("rig", [True, False], ids=["one-thread", "threads"], indirect=True)
def test_every_message_is_handled_once_and_the_queue_stays_shallow(
    rig: Rig, engine: Engine, tmp_path: Path
) -> None:
    gateway = gateway_from_settings(load_settings(), engine)
    lines = [body(i) for i in range(150)] + [body(5), body(6), "{broken", body(9, currency="XX")]
    path = tmp_path / "messages.jsonl"
    path.write_text("\n".join(lines) + "\n")
    summary = rig.ingest(path, lambda event: process_event(event, gateway))
    assert (summary.sent, summary.report.staged, summary.dead_lettered) == (154, 150, 0)
    assert summary.report.rejected == {"malformed_json": 1, "unknown_currency": 1}
    assert summary.report.received == summary.report.staged + summary.report.duplicates + 2
    assert staged(engine) == 150 and rig.depth() == 0
    # threads: max_in_flight plus the batch just sent; one thread: one batch
    assert max(rig.depths) <= (10 if rig.one_thread else 20 + 10)


@pytest.mark.parametrize("rig", [True, False], ids=["one-thread", "threads"], indirect=True)
def test_a_message_that_keeps_failing_is_dead_lettered_and_ingest_returns(
    rig: Rig, engine: Engine, tmp_path: Path
) -> None:
    gateway = gateway_from_settings(load_settings(), engine)
    poison = "tx-00000007"

    def handler(event: dict[str, Any]) -> tuple[Any, BatchReport]:
        kept = [r for r in event["Records"] if poison not in r["body"]]
        failed = [r["messageId"] for r in event["Records"] if poison in r["body"]]
        response, report = process_event({"Records": kept}, gateway)
        report.received += len(failed)
        report.failed_message_ids |= set(failed)
        failures = [*response["batchItemFailures"], *({"itemIdentifier": m} for m in failed)]
        return {"batchItemFailures": failures}, report

    path = tmp_path / "messages.jsonl"
    path.write_text("\n".join(body(i) for i in range(30)) + "\n")
    summary = rig.ingest(path, handler, workers=2)
    assert (summary.sent, summary.report.staged, summary.dead_lettered) == (30, 29, 1)
    assert staged(engine) == 29
    dead = rig.sqs.receive_message(QueueUrl=rig.dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert [poison in m["Body"] for m in dead] == [True]
    assert summary.failures("the-dlq") == ["1 message(s) went to the dead-letter queue the-dlq "
                                           "(settlement dlq inspect)"]  # fmt: skip


def test_turns_take_fewer_receives_than_messages(engine: Engine, tmp_path: Path) -> None:
    """One thread, one consumer: a receive per sent batch, as the bare loop does."""
    gateway: Gateway = gateway_from_settings(load_settings(), engine)
    path = tmp_path / "messages.jsonl"
    path.write_text("\n".join(body(i) for i in range(100)) + "\n")
    with mock_aws():
        rig = Rig(load_settings(), boto3.client("sqs", region_name="eu-west-1"), True)
        summary = rig.ingest(path, lambda event: process_event(event, gateway), workers=1)
    assert summary.report.staged == 100
    assert summary.sqs_requests <= 10 + 10 + 10 + 2  # sends, receives, deletes, final polls
