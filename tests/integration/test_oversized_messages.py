"""What SQS cannot carry, as a user meets it: `pos-sim send` and `settlement ingest` (SQS
transport) over a capture with an oversized line in the middle and a line holding a
character SQS refuses. Each is reported on stderr by line, everything else arrives, and the
command exits 1 (FAILED) once the rest is sent.

The queue is made with AWS's 256 KiB MaximumMessageSize: moto 5.2 otherwise takes 1 MiB,
and with the limit it refuses the whole batch that holds the big line, as AWS does (there:
BatchRequestTooLong), which stopped both commands with a traceback before.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from click.testing import Result
from moto import mock_aws
from sqlalchemy import Engine, create_engine, func, select
from typer.testing import CliRunner

from pos_simulator.cli import app as pos_sim
from settlement.adapters.aws import create_queues
from settlement.adapters.database import upgrade
from settlement.adapters.tables import staged_transactions
from settlement.cli import app as settlement
from settlement.config import load_settings
from settlement.entrypoints.wiring import gateway_from_settings
from settlement.exit_codes import ExitCode
from settlement.gateway.handler import process_event
from settlement.gateway.ingest import SqsIngestPlan, ingest_via_sqs
from settlement.gateway.poller import PollerConfig
from tests.support.messages import body
from tests.support.serialized import Serialized

QUEUE = "cardsettle-transactions"
OVERSIZED_LINE, REFUSED_CHARACTER_LINE = 13, 21


def capture(path: Path) -> tuple[Path, list[str]]:
    """30 lines; returns the file and the bodies that SQS can carry."""
    bodies = [body(i) for i in range(30)]
    bodies[OVERSIZED_LINE - 1] = body(12, note="x" * 270_000)  # over 256 KiB
    # raw U+FFFF in the terminal id (json.dumps would have escaped it as text)
    bodies[REFUSED_CHARACTER_LINE - 1] = body(20).replace('"T0007"', '"T\uffff07"')
    assert "\uffff" in bodies[REFUSED_CHARACTER_LINE - 1]
    # 3 x 100 KB: two batches. SQS carries them; the gateway then rejects each alone
    # (body_too_large, an unknown field): they arrive, are judged and kept as rejects.
    bodies[3:6] = [body(i, note="y" * 100_000) for i in (3, 4, 5)]
    path.write_text("\n".join(bodies) + "\n", encoding="utf-8")
    bad = {OVERSIZED_LINE - 1, REFUSED_CHARACTER_LINE - 1}
    return path, [b for i, b in enumerate(bodies) if i not in bad]


def stageable(sendable: list[str]) -> set[str]:
    """The transaction ids of the bodies the gateway stages: all but the padded three."""
    return {json.loads(b)["transaction_id"] for b in sendable if '"note"' not in b}


def aws_sized_queue() -> str:
    sqs = boto3.client("sqs", region_name="eu-west-1")
    attributes = {"MaximumMessageSize": "262144"}
    return sqs.create_queue(QueueName=QUEUE, Attributes=attributes)["QueueUrl"]


def drain(url: str) -> list[str]:
    sqs = boto3.client("sqs", region_name="eu-west-1")
    received: list[str] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            received.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return received


def assert_one_line_per_refusal(result: Result, prefix: str) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 2, result.stderr
    oversized, refused = lines
    assert oversized.startswith(f"{prefix}: line {OVERSIZED_LINE} not sent (")
    assert "over SQS's 262,144-byte message limit" in oversized
    assert refused.startswith(f"{prefix}: line {REFUSED_CHARACTER_LINE} not sent (")
    assert "U+FFFF" in refused
    assert "Traceback" not in result.output


def test_pos_sim_send_reports_each_refusal_and_sends_the_rest(tmp_path: Path) -> None:
    path, sendable = capture(tmp_path / "messages.jsonl")
    with mock_aws():
        url = aws_sized_queue()
        result = CliRunner().invoke(pos_sim, ["send", "--in", str(path), "--queue-url", url])
        received = drain(url)
    assert result.exit_code == ExitCode.FAILED, result.output
    assert_one_line_per_refusal(result, "pos-sim")
    assert sorted(received) == sorted(sendable)
    assert "sent 28 of 30 messages" in result.stdout and "2 not sent" in result.stdout


def staged(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(staged_transactions.c.transaction_id))
            return {transaction_id for (transaction_id,) in rows}
    finally:
        engine.dispose()


def test_ingest_over_sqs_reports_each_refusal_and_stages_the_rest(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(db_url)
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", db_url)
    path, sendable = capture(tmp_path / "messages.jsonl")
    with mock_aws():
        aws_sized_queue()
        result = CliRunner().invoke(settlement, ["ingest", str(path), "--transport", "sqs"])
    assert result.exit_code == ExitCode.FAILED, result.output
    assert_one_line_per_refusal(result, "ingest")
    assert staged(db_url) == stageable(sendable)
    start = result.stdout.rindex('{\n  "staged"')
    summary = json.loads(result.stdout[start:])
    assert (summary["not_sent"], summary["rejected"]) == (2, {"body_too_large": 3})
    with engine_count(db_url) as count:
        assert count == 25


class engine_count:  # noqa: N801 - reads as a with-statement
    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> int:
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                query = select(func.count()).select_from(staged_transactions)
                return int(conn.execute(query).scalar_one())
        finally:
            engine.dispose()

    def __exit__(self, *_: object) -> None:
        return None


def test_ingest_with_consumer_threads_refuses_the_same_lines(
    engine: Engine, tmp_path: Path
) -> None:
    """The threaded shape (an endpoint, not the embedded SQS) goes through the same packing."""
    path, sendable = capture(tmp_path / "messages.jsonl")
    gateway = gateway_from_settings(load_settings(), engine)
    with mock_aws():
        sqs = Serialized(boto3.client("sqs", region_name="eu-west-1"))  # moto: not thread-safe
        aws_sized_queue()
        main_url, dlq_url = create_queues(sqs, load_settings())  # type: ignore[arg-type]
        config = PollerConfig(main_url, "arn:aws:sqs:eu-west-1:123456789012:q", "eu-west-1",
                              batch_size=10, wait_s=0)  # fmt: skip
        plan = SqsIngestPlan(sqs, main_url, dlq_url, config, workers=2, one_thread=False)  # type: ignore[arg-type]
        handler = lambda event: process_event(event, gateway)  # noqa: E731
        summary = ingest_via_sqs(path, handler, plan, lambda _n: None)
    assert [r.line for r in summary.refused] == [OVERSIZED_LINE, REFUSED_CHARACTER_LINE]
    assert (summary.sent, summary.report.received) == (len(sendable), len(sendable))
    assert summary.report.staged == len(stageable(sendable)) == len(sendable) - 3
    assert summary.report.rejected == {"body_too_large": 3}
