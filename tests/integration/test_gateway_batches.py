"""gateway_batches on SQLite and PostgreSQL: one row per handled batch, in the batch's own
transaction, counting what became of its messages, naming who handled it and how."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from settlement.adapters.aws import create_queues
from settlement.adapters.sqs_events import send_bodies, sqs_record, system_attributes
from settlement.adapters.staging import (
    BatchRecord,
    RejectRow,
    StagedRow,
    StageOutcome,
    StagingRepository,
)
from settlement.adapters.tables import gateway_batches, staged_transactions
from settlement.config import load_settings
from settlement.entrypoints import lambdas
from settlement.entrypoints.wiring import gateway_from_settings
from settlement.gateway.batches import Consumer, consuming
from settlement.gateway.direct import DirectPlan, ingest_direct
from settlement.gateway.handler import process_event
from settlement.gateway.poller import Poller, PollerConfig
from settlement.gateway.service import Gateway, InboundMessage
from tests.support.messages import body

ARN = "arn:aws:sqs:eu-west-1:123456789012:cardsettle-transactions"
# The day after tests.support.messages' day: every message is inside the plausible window.
NOW = datetime(2026, 11, 27, 18, 0, 0, 250_000)


def queued(at: datetime) -> dict[str, str]:
    """System attributes of a message SQS accepted at `at` (naive UTC)."""
    return system_attributes(str(int(at.replace(tzinfo=UTC).timestamp() * 1000)))


def event(bodies: Sequence[str], prefix: str = "m") -> dict[str, Any]:
    """The records entered the queue a second before the gateway's clock (NOW)."""
    attributes = queued(NOW - timedelta(seconds=1))
    return {
        "Records": [
            sqs_record(f"{prefix}{i}", b, ARN, "eu-west-1", attributes=attributes)
            for i, b in enumerate(bodies)
        ]
    }


def batches(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(gateway_batches).order_by(gateway_batches.c.started_at)))


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def gateway(engine: Engine) -> Gateway:
    """A gateway whose clock stands still at NOW: latencies are then exact."""
    policy = gateway_from_settings(load_settings(), engine).policy
    return Gateway(StagingRepository(engine), policy, lambda: NOW)


def test_a_batch_is_one_row_counting_what_became_of_its_messages(
    engine: Engine, gateway: Gateway
) -> None:
    bodies = [body(i) for i in range(6)] + [body(2), '{"bad', body(3, amount="9.99")]
    with consuming(Consumer("poller-a", 10)):
        _, report = process_event(event(bodies), gateway)
    (row,) = batches(engine)
    assert (row.consumer, row.max_batch) == ("poller-a", 10)
    assert (row.received, row.staged, row.duplicates, row.rejected, row.failed) == (9, 6, 1, 2, 0)
    assert (row.staged, row.duplicates) == (report.staged, report.duplicates)
    assert row.rejected == sum(report.rejected.values())
    assert row.started_at == row.finished_at == NOW
    assert uuid.UUID(row.batch_id).version == 4 and str(uuid.UUID(row.batch_id)) == row.batch_id


def test_latency_runs_from_queue_entry_to_staged_over_the_staged_rows(
    engine: Engine, gateway: Gateway
) -> None:
    """From SQS's SentTimestamp, not the terminal's sent_at: a replayed capture (the demo's)
    carries the simulated day's send times, weeks old, which would only measure its age."""
    entered = [NOW - timedelta(milliseconds=40 + 7 * i) for i in range(8)]

    records = [
        sqs_record(f"m{i}", body(i * 37), ARN, "eu-west-1", attributes=queued(at))
        for i, at in enumerate(entered)
    ]
    process_event({"Records": records}, gateway)
    with engine.connect() as conn:
        staged_at = set(conn.execute(select(staged_transactions.c.staged_at)).scalars())
        sent_at = list(conn.execute(select(staged_transactions.c.sent_at)).scalars())
    assert staged_at == {NOW} and all(NOW - sent > timedelta(seconds=1) for sent in sent_at)
    latencies = [NOW - at for at in entered]
    (row,) = batches(engine)
    assert row.latency_ms_sum == sum(latencies, timedelta(0)) // timedelta(milliseconds=1)
    assert row.latency_ms_max == max(latencies) // timedelta(milliseconds=1) == 89


def test_without_a_queue_latency_runs_from_the_terminals_sent_at(
    engine: Engine, gateway: Gateway
) -> None:
    gateway.process([_inbound(i) for i in range(0, 300, 37)])
    with engine.connect() as conn:
        pairs = list(
            conn.execute(select(staged_transactions.c.sent_at, staged_transactions.c.staged_at))
        )
    latencies = [staged - sent for sent, staged in pairs]
    (row,) = batches(engine)
    assert row.latency_ms_sum == sum(latencies, timedelta(0)) // timedelta(milliseconds=1)
    assert row.latency_ms_max == min(max(latencies) // timedelta(milliseconds=1), 2**31 - 1)
    assert row.latency_ms_max > 0


def test_a_redelivered_batch_is_a_new_row_of_duplicates(engine: Engine, gateway: Gateway) -> None:
    bodies = [body(i) for i in range(5)]
    process_event(event(bodies), gateway)
    process_event(event(bodies, prefix="again"), gateway)
    rows = batches(engine)
    assert sorted((r.staged, r.duplicates) for r in rows) == [(0, 5), (5, 0)]
    assert rows[0].batch_id != rows[1].batch_id
    assert count(engine, staged_transactions) == 5


def test_the_record_commits_with_the_rows_or_not_at_all(engine: Engine, gateway: Gateway) -> None:
    """A record the database refuses takes the batch's rows with it: same transaction."""
    repository = StagingRepository(engine)
    policy = gateway.policy
    rows = [
        gateway.judge(m, NOW, policy.window.around(NOW)) for m in (_inbound(i) for i in range(3))
    ]
    staged_rows = [row for row in rows if isinstance(row, StagedRow)]
    for row in staged_rows:
        row.stamp_staged_at(NOW)

    def refused(outcome: StageOutcome) -> BatchRecord:
        assert len(outcome.staged) == 3  # the rows are written when the record is made ...
        return BatchRecord("b" * 36, "x", 1, NOW, NOW, -1, 0, 0, 0, 0, 0, 0)

    with pytest.raises(IntegrityError):
        repository.stage(staged_rows, [], NOW, refused)
    assert count(engine, staged_transactions) == 0  # ... and rolled back with it
    assert count(engine, gateway_batches) == 0


def _inbound(index: int) -> InboundMessage:
    return InboundMessage(f"m{index}", body(index))


class FirstTryFails(StagingRepository):
    """The batch's own transaction fails (transiently) and so does every try of `poisoned`."""

    def __init__(self, engine: Engine, poisoned: set[str]) -> None:
        super().__init__(engine)
        self.poisoned = poisoned

    def stage(
        self,
        rows: Sequence[StagedRow],
        rejects: Sequence[RejectRow],
        received_at: Any,
        record: Any = None,
    ) -> StageOutcome:
        if record is not None or any(r.transaction_id in self.poisoned for r in rows):
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return super().stage(rows, rejects, received_at, record)


def test_a_batch_staged_message_by_message_is_recorded_once_after_them(
    engine: Engine, gateway: Gateway
) -> None:
    flaky = Gateway(FirstTryFails(engine, {"tx-00000003"}), gateway.policy, gateway.clock)
    response, _ = process_event(event([body(i) for i in range(5)] + ['{"bad']), flaky)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m3"}]}
    (row,) = batches(engine)
    assert (row.received, row.staged, row.duplicates, row.rejected, row.failed) == (6, 4, 0, 1, 1)
    assert row.latency_ms_max > 0


def test_a_poller_records_its_thread_and_batch_size(engine: Engine, gateway: Gateway) -> None:
    settings = load_settings()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-west-1")
        main_url, _ = create_queues(sqs, settings)
        send_bodies(sqs, main_url, [body(i) for i in range(3)])
        config = PollerConfig(main_url, ARN, "eu-west-1", batch_size=1, wait_s=0, drain=True)
        poller = Poller(sqs, lambda e: process_event(e, gateway), config, threading.Event())
        thread = threading.Thread(target=poller.run, name="consumer-7")
        thread.start()
        thread.join()
    rows = batches(engine)
    assert len(rows) == 3
    assert {(r.max_batch, r.received) for r in rows} == {(1, 1)}
    assert all(r.consumer.endswith(":consumer-7") for r in rows)


def test_direct_ingest_records_direct_and_its_batch_size(
    engine: Engine, gateway: Gateway, tmp_path: Path
) -> None:
    capture = tmp_path / "messages.jsonl"
    capture.write_text("".join(body(i) + "\n" for i in range(25)), encoding="utf-8")
    plan = DirectPlan(batch_size=10)
    ingest_direct(capture, lambda e: process_event(e, gateway), plan, lambda _n: None)
    rows = batches(engine)
    assert sorted(r.received for r in rows) == [5, 10, 10]
    assert {(r.consumer, r.max_batch) for r in rows} == {("direct", 10)}


def test_the_lambda_handler_records_its_function_and_mapping_batch_size(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", db_url)
    monkeypatch.setattr(lambdas, "_GATEWAY", None)
    context = SimpleNamespace(function_name="cardsettle-gateway", aws_request_id="r-1")
    try:
        lambdas.gateway_handler(event([body(1), body(2)]), context)
    finally:
        if lambdas._GATEWAY is not None:
            lambdas._GATEWAY.repository.engine.dispose()
    (row,) = batches(engine)
    assert (row.consumer, row.max_batch) == ("lambda:cardsettle-gateway", lambdas.LAMBDA_BATCH_SIZE)
    assert (row.received, row.staged) == (2, 2)


def test_an_empty_batch_writes_nothing(engine: Engine, gateway: Gateway) -> None:
    gateway.process([])
    assert count(engine, gateway_batches) == 0
