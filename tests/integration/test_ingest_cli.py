"""`settlement ingest`, `queues create` and `dlq inspect|redrive` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from settlement.adapters.database import upgrade
from settlement.adapters.tables import rejected_messages, staged_transactions
from settlement.cli import app
from tests.support.messages import body


def capture(path: Path) -> Path:
    """40 messages, two repeated, two malformed, one from a CRLF file (staged: the "\r" is the
    line end's) and one with bytes that are not UTF-8 in its merchant id (rejected by field)."""
    lines = [body(i) for i in range(40)] + [body(3), body(7), "{broken", body(90, currency="XYZ")]
    garbled = body(95).encode().replace(b'"M0004"', b'"M\xff\xfe04"')
    path.write_bytes("\n".join(lines).encode() + b"\n" + body(41).encode() + b"\r\n" + garbled)
    return path


def summary_json(output: str) -> dict[str, object]:
    start = output.rindex('{\n  "staged"')
    return dict(json.loads(output[start:]))


def counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        staged = conn.execute(select(func.count()).select_from(staged_transactions)).scalar_one()
        rejected = conn.execute(select(func.count()).select_from(rejected_messages)).scalar_one()
    engine.dispose()
    return int(staged), int(rejected)


@pytest.mark.parametrize("transport", ["sqs", "direct"])
def test_ingest_stages_a_capture(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    upgrade(db_url)
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", db_url)
    path = capture(tmp_path / "messages.jsonl")
    with mock_aws():
        result = CliRunner().invoke(app, ["ingest", str(path), "--transport", transport])
    assert result.exit_code == 0, result.output
    summary = summary_json(result.output)
    duplicates = summary.pop("duplicates")
    assert summary == {
        "staged": 41,
        "rejected": {"invalid_field": 1, "malformed_json": 1, "unknown_currency": 1},
        "dead_lettered": 0,
        "not_sent": 0,
    }
    # two sent twice; SQS (and moto, whose receive is not atomic across threads) may add
    # redeliveries, which are duplicates too: never a second staged row
    assert duplicates == 2 if transport == "direct" else duplicates >= 2
    assert counts(db_url) == (41, 3)
    # replaying the same capture changes nothing
    with mock_aws():
        again = CliRunner().invoke(app, ["ingest", str(path), "--transport", transport])
    assert summary_json(again.output)["staged"] == 0
    assert counts(db_url) == (41, 3)


def test_direct_transport_with_worker_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'staging.db'}"
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", url)
    path = capture(tmp_path / "messages.jsonl")
    args = ["ingest", str(path), "--transport", "direct", "--workers", "2", "--batch-size", "7"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert summary_json(result.output)["staged"] == 41
    # the workers exit without closing their connections: the command checkpoints after them
    wal = tmp_path / "staging.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    assert counts(url) == (41, 3)


def test_dlq_inspect_masks_pans_and_redrive_moves_back(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    with mock_aws():
        assert runner.invoke(app, ["queues", "create"]).exit_code == 0
        sqs = boto3.client("sqs", region_name="eu-west-1")
        dlq = sqs.get_queue_url(QueueName="cardsettle-transactions-dlq")["QueueUrl"]
        main = sqs.get_queue_url(QueueName="cardsettle-transactions")["QueueUrl"]
        sqs.send_message(QueueUrl=dlq, MessageBody=body(1))
        inspected = runner.invoke(app, ["dlq", "inspect"])
        assert inspected.exit_code == 0, inspected.output
        assert "4111111111111111" not in inspected.output
        assert "1 message(s) shown" in inspected.output
        sqs.change_message_visibility(
            QueueUrl=dlq,
            ReceiptHandle=sqs.receive_message(QueueUrl=dlq, VisibilityTimeout=0)["Messages"][0][
                "ReceiptHandle"
            ],
            VisibilityTimeout=0,
        )
        redriven = runner.invoke(app, ["dlq", "redrive"])
        assert "redrove 1 message(s)" in redriven.output, redriven.output
        moved = sqs.receive_message(QueueUrl=main)["Messages"]
    assert json.loads(moved[0]["Body"])["transaction_id"] == "tx-00000001"


def test_consume_batch_size_is_bounded() -> None:
    result = CliRunner().invoke(app, ["gateway", "consume", "--batch-size", "11"])
    assert result.exit_code != 0
