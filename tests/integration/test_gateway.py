"""The gateway on SQLite and PostgreSQL: idempotent, specific rejects, safe under failure."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from typing import Any

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError

from settlement.adapters.aws import create_queues
from settlement.adapters.database import create_db_engine, upgrade
from settlement.adapters.sqs_events import queue_arn, send_bodies, sqs_record
from settlement.adapters.staging import RejectRow, StagedRow, StageOutcome, StagingRepository
from settlement.adapters.tables import rejected_messages, staged_transactions
from settlement.config import load_settings
from settlement.entrypoints.wiring import gateway_from_settings
from settlement.gateway.handler import process_event
from settlement.gateway.poller import Poller, PollerConfig
from settlement.gateway.service import BatchReport, Gateway
from tests.support.messages import body, message
from tests.support.pan_scan import pans_in, pans_in_database
from tests.support.serialized import Serialized

ARN = "arn:aws:sqs:eu-west-1:123456789012:cardsettle-transactions"


@pytest.fixture
def gateway(engine: Engine) -> Gateway:
    return gateway_from_settings(load_settings(), engine)


def event(bodies: Sequence[str], prefix: str = "m") -> dict[str, Any]:
    return {
        "Records": [sqs_record(f"{prefix}{i}", b, ARN, "eu-west-1") for i, b in enumerate(bodies)]
    }


def count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def reasons(engine: Engine) -> dict[str, int]:
    query = select(rejected_messages.c.reason_code, func.count()).group_by(
        rejected_messages.c.reason_code
    )
    with engine.connect() as conn:
        return {reason: int(n) for reason, n in conn.execute(query)}


def test_duplicates_are_never_staged_twice(engine: Engine, gateway: Gateway) -> None:
    bodies = [body(i) for i in range(30)]
    response, report = process_event(event(bodies + bodies[:5]), gateway)
    assert response == {"batchItemFailures": []}
    assert (report.staged, report.duplicates) == (30, 5)
    # a full redelivery of the same batch is a no-op counted as duplicates
    _, again = process_event(event(bodies), gateway)
    assert (again.staged, again.duplicates) == (0, 30)
    assert count(engine, staged_transactions) == 30


def test_content_conflict_is_recorded_and_first_version_kept(
    engine: Engine, gateway: Gateway
) -> None:
    process_event(event([body(1)]), gateway)
    _, report = process_event(event([body(1, amount="999.00")], prefix="x"), gateway)
    assert report.rejected == {"conflict": 1}
    with engine.connect() as conn:
        kept = conn.execute(select(staged_transactions.c.amount_minor)).scalar_one()
        detail = conn.execute(select(rejected_messages.c.detail)).scalar_one()
    assert kept == 201
    assert "tx-00000001" in detail


def test_every_malformed_kind_is_rejected_with_its_reason(engine: Engine, gateway: Gateway) -> None:
    missing = {k: v for k, v in message(3).items() if k != "merchant_id"}
    bad = {
        "malformed_json": '{"schema": "cardsettle.pos.v1", "pan": "4111111111111111"',
        "missing_field": json.dumps(missing),
        "unknown_currency": body(4, currency="ZZZ"),
        "too_many_decimals": body(5, amount="10.123"),
        "failed_luhn": body(6, pan="4111111111111121"),
    }
    response, report = process_event(event([body(1), *bad.values()]), gateway)
    assert response == {"batchItemFailures": []}  # permanent errors must not loop
    assert report.staged == 1
    assert reasons(engine) == dict.fromkeys(bad, 1)
    # a redelivery of the same bad messages records nothing new
    process_event(event([body(1), *bad.values()]), gateway)
    assert reasons(engine) == dict.fromkeys(bad, 1)


class FlakyRepository(StagingRepository):
    """A transient error after writing, whenever a poisoned transaction is in the batch."""

    def __init__(self, engine: Engine, poisoned: set[str]) -> None:
        super().__init__(engine)
        self.poisoned = poisoned
        self.calls = 0

    def stage(
        self,
        rows: Sequence[StagedRow],
        rejects: Sequence[RejectRow],
        received_at: Any,
        record: Any = None,
    ) -> StageOutcome:
        self.calls += 1
        with self.engine.begin() as conn:
            from settlement.adapters.staging import _stage_rows

            outcome = _stage_rows(conn, rows)  # rows are written ...
            if any(row.transaction_id in self.poisoned for row in rows):
                raise OperationalError(
                    "INSERT", {}, Exception("database is locked")
                )  # ... and rolled back
        return super().stage([], rejects, received_at) if rejects else outcome


def test_transient_failure_mid_batch_leaves_only_that_record_for_redelivery(
    engine: Engine, gateway: Gateway
) -> None:
    flaky = Gateway(FlakyRepository(engine, {"tx-00000003"}), gateway.policy, gateway.clock)
    bodies = [body(i) for i in range(6)] + ['{"bad']
    response, report = process_event(event(bodies), flaky)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m3"}]}
    assert report.staged == 5 and report.rejected == {"malformed_json": 1}
    assert count(engine, staged_transactions) == 5
    assert (
        count(engine, staged_transactions, staged_transactions.c.transaction_id == "tx-00000003")
        == 0
    )
    # the redelivery, once the database is healthy, stages it exactly once
    _, retry = process_event(event(bodies), gateway)
    assert (retry.staged, retry.duplicates) == (1, 5)
    assert count(engine, rejected_messages) == 1


def test_database_unavailable_fails_the_whole_batch_for_redelivery(tmp_path: Any) -> None:
    dead = create_db_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    gateway = gateway_from_settings(load_settings(), dead)
    response, report = process_event(event([body(1), body(2)]), gateway)
    assert {item["itemIdentifier"] for item in response["batchItemFailures"]} == {"m0", "m1"}
    assert report.staged == 0


def test_poison_message_reaches_the_dlq_after_max_receive_count(
    engine: Engine, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARDSETTLE_MAX_RECEIVE_COUNT", "2")
    settings = load_settings()
    flaky = Gateway(FlakyRepository(engine, {"tx-00000002"}), gateway.policy, gateway.clock)
    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-west-1")
        main_url, dlq_url = create_queues(sqs, settings)
        send_bodies(sqs, main_url, [body(i) for i in range(5)])
        config = PollerConfig(
            main_url, ARN, "eu-west-1", batch_size=10, wait_s=0, drain=True, retry_backoff_s=0
        )
        for _ in range(4):
            Poller(sqs, lambda e: process_event(e, flaky), config, threading.Event()).run()
        dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["transaction_id"] for m in dead] == ["tx-00000002"]
    assert count(engine, staged_transactions) == 4


def test_no_pan_in_any_table_or_log(
    engine: Engine, gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    flaky = Gateway(FlakyRepository(engine, {"tx-00000001"}), gateway.policy, gateway.clock)
    bodies = [
        *(body(i) for i in range(8)),
        body(20, amount="1.001"),
        body(21, currency="QQQ"),
        '{"pan": "5555555555554444", broken',
        body(22, merchant_id="4111111111111111"),
        body(2, amount="7.77"),  # conflict: the rejected body carries a PAN too
    ]
    process_event(event(bodies), flaky)
    process_event(event(bodies, prefix="again"), gateway)
    assert count(engine, rejected_messages) >= 5
    assert pans_in_database(engine.url.render_as_string(hide_password=False)) == []
    assert [
        pans_in(record.getMessage()) for record in caplog.records if pans_in(record.getMessage())
    ] == []


def test_competing_workers_stage_every_message_exactly_once(
    engine: Engine, gateway: Gateway
) -> None:
    settings = load_settings()
    bodies = [body(i) for i in range(120)] + [body(i) for i in range(0, 120, 4)]
    totals, lock = BatchReport(), threading.Lock()

    def on_batch(report: BatchReport) -> None:
        with lock:
            totals.merge(report)

    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-west-1")
        main_url, _ = create_queues(sqs, settings)
        send_bodies(sqs, main_url, bodies)
        config = PollerConfig(
            main_url,
            queue_arn("eu-west-1", settings.queue_name),
            "eu-west-1",
            batch_size=10,
            wait_s=0,
            drain=True,
        )
        stop = threading.Event()
        shared: Any = Serialized(sqs)  # moto in-process is not thread-safe; SQS is
        pollers = [
            Poller(shared, lambda e: process_event(e, gateway), config, stop, on_batch)
            for _ in range(4)
        ]
        threads = [threading.Thread(target=p.run) for p in pollers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        left = sqs.get_queue_attributes(
            QueueUrl=main_url, AttributeNames=["ApproximateNumberOfMessages"]
        )
    assert count(engine, staged_transactions) == 120
    assert totals.staged == 120
    # at-least-once: SQS may hand a message to two workers; that shows up as a duplicate
    assert totals.duplicates >= 30 and totals.received == totals.staged + totals.duplicates
    assert left["Attributes"]["ApproximateNumberOfMessages"] == "0"
    assert all(p.receive_calls > 0 for p in pollers)


AWS_SAMPLE_EVENT = {
    "Records": [
        {
            "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
            "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
            "body": "",
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1545082649183",
                "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                "ApproximateFirstReceiveTimestamp": "1545082649185",
            },
            "messageAttributes": {},
            "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
            "awsRegion": "us-east-2",
        },
        {
            "messageId": "2e1424d4-f796-459a-8184-9c92662be6da",
            "receiptHandle": "AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq...",
            "body": "",
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1545082650636",
                "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                "ApproximateFirstReceiveTimestamp": "1545082650649",
            },
            "messageAttributes": {},
            "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
            "awsRegion": "us-east-2",
        },
    ]
}


def test_lambda_handler_with_a_real_sqs_event_shape(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import copy

    from settlement.entrypoints import lambdas

    upgrade(db_url)
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", db_url)
    monkeypatch.setattr(lambdas, "_GATEWAY", None)
    sample = copy.deepcopy(AWS_SAMPLE_EVENT)
    sample["Records"][0]["body"] = body(1)
    sample["Records"][1]["body"] = "test message body"
    response = lambdas.gateway_handler(sample, context=None)
    assert response == {"batchItemFailures": []}
    gw = lambdas._GATEWAY
    assert gw is not None
    assert count(gw.repository.engine, staged_transactions) == 1
    assert reasons(gw.repository.engine) == {"malformed_json": 1}
    gw.repository.engine.dispose()
    monkeypatch.setattr(lambdas, "_GATEWAY", None)


def test_malformed_envelope_is_reported_not_staged(gateway: Gateway) -> None:
    broken = {"Records": [{"messageId": "x1", "body": body(1)}]}
    response, report = process_event(broken, gateway)
    assert response == {"batchItemFailures": [{"itemIdentifier": "x1"}]}
    assert report.staged == 0


def test_staged_row_round_trips_through_the_schema(engine: Engine, gateway: Gateway) -> None:
    from datetime import date, datetime

    process_event(event([body(61)]), gateway)
    with engine.connect() as conn:
        row = conn.execute(select(staged_transactions)).mappings().one()
    assert row["local_time"] == datetime(2026, 11, 27, 9, 1)
    assert row["utc_offset_min"] == 60
    assert row["transacted_at"] == datetime(2026, 11, 27, 8, 1)
    assert row["sent_at"] == datetime(2026, 11, 27, 8, 1, 2)
    assert row["business_date"] == date(2026, 11, 27)
    assert (row["card_bin"], row["card_last4"], row["card_brand"]) == (
        "55555555",  # the 8-digit BIN of a 16-digit PAN (migration 0005 widened the column)
        "4444",
        "mastercard",
    )
    assert row["amount_minor"] == 6261 and row["currency"] == "EUR"
    assert row["staged_at"] >= row["received_at"]
