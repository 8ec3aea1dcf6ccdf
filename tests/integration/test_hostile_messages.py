"""Issue 14, hostile input: each body of the adversarial corpus (`tests.support.hostile_messages`)
is rejected with its own reason, in the company of nine valid batch-mates that are all
staged, on both backends, through the Lambda handler, the direct transport and SQS.
Nothing in one message's content may fail, delay or dead-letter another, and no PAN of any
spelling is kept in a table or written to a log line.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import Engine, select

from settlement.adapters.aws import create_queues
from settlement.adapters.sqs_events import sqs_record
from settlement.adapters.staging import body_digest
from settlement.adapters.tables import rejected_messages, staged_transactions
from settlement.config import load_settings
from settlement.entrypoints.wiring import gateway_from_settings
from settlement.gateway.direct import DirectPlan, ingest_direct
from settlement.gateway.handler import process_event
from settlement.gateway.ingest import SqsIngestPlan, ingest_via_sqs
from settlement.gateway.poller import PollerConfig
from settlement.gateway.service import Gateway
from tests.support.hostile_messages import CASE_NAMES, HOSTILE, Hostile
from tests.support.messages import body
from tests.support.pan_scan import PanScanner

ARN = "arn:aws:sqs:eu-west-1:123456789012:cardsettle-transactions"
SQS_MAX_BODY_BYTES = 256 * 1024  # larger bodies are the sender's problem (pos_simulator.send)
_INDEXES = count(1000)
OUR_LOGGERS = ("settlement", "aws_lambda_powertools")


def valid_bodies(n: int) -> list[str]:
    """Valid messages with transaction ids no other test case uses."""
    return [body(i, transaction_id=f"ok-{i:08d}") for i in (next(_INDEXES) for _ in range(n))]


def staged_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(staged_transactions.c.transaction_id)).scalars())


def reject_reasons(engine: Engine, text: str) -> list[str]:
    table = rejected_messages
    with engine.connect() as conn:
        query = select(table.c.reason_code).where(table.c.body_sha256 == body_digest(text))
        return list(conn.execute(query).scalars())


@pytest.fixture
def gateway(engine: Engine) -> Gateway:
    return gateway_from_settings(load_settings(), engine)


@pytest.fixture
def log_lines(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record of the test, DEBUG included (read `.records` when checking: the
    list is replaced between set-up and the test itself)."""
    with caplog.at_level(logging.DEBUG):
        yield caplog


def assert_nothing_kept(engine: Engine, logs: pytest.LogCaptureFixture) -> None:
    scanner = PanScanner(())  # any PAN, in any spelling: the tests' own scanner
    scanner.database(engine.url.render_as_string(hide_password=False))
    assert logs.records, "no log record captured: the check would prove nothing"
    # Ours at every level; other libraries' from INFO (botocore's DEBUG dumps every request
    # and response, bodies included, whoever sends them: keep it off in production).
    ours = [r for r in logs.records if r.name.startswith(OUR_LOGGERS) or r.levelno >= logging.INFO]
    for record in ours:
        line = record.getMessage()
        scanner.text(f"log {record.name}", line)
        assert '"schema"' not in line and "cardsettle.pos.v1" not in line, line
    scanner.assert_clean()


@pytest.mark.parametrize("case", HOSTILE, ids=CASE_NAMES)
def test_each_hostile_body_is_rejected_with_its_reason_beside_nine_staged_mates(
    case: Hostile, gateway: Gateway, engine: Engine, log_lines: pytest.LogCaptureFixture
) -> None:
    mates = valid_bodies(9)
    position = CASE_NAMES.index(case.name) % 10
    bodies = [*mates[:position], case.body, *mates[position:]]
    records = [sqs_record(f"m{i}", text, ARN, "eu-west-1") for i, text in enumerate(bodies)]
    response, report = process_event({"Records": records}, gateway)
    assert response == {"batchItemFailures": []}
    assert (report.staged, dict(report.rejected)) == (9, {case.reason.value: 1})
    assert {json.loads(m)["transaction_id"] for m in mates} <= staged_ids(engine)
    assert reject_reasons(engine, case.body) == [case.reason.value]
    with engine.connect() as conn:
        row = conn.execute(select(rejected_messages)).one()
    assert row.detail and len(row.detail) < 300
    assert_nothing_kept(engine, log_lines)


def _capture(tmp_path: Path, cases: list[Hostile]) -> tuple[Path, int]:
    """A capture with every case among valid lines, one case in each batch of ten."""
    lines: list[str] = []
    for case in cases:
        lines += [*valid_bodies(9), case.body]
    path = tmp_path / "hostile.jsonl"
    path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass") + b"\n")
    return path, 9 * len(cases)


def _expected(cases: list[Hostile]) -> dict[str, int]:
    return dict(Counter(case.reason.value for case in cases))


def test_the_direct_transport_stages_every_valid_line_and_rejects_each_hostile_one(
    gateway: Gateway, engine: Engine, tmp_path: Path, log_lines: pytest.LogCaptureFixture
) -> None:
    cases = list(HOSTILE)
    path, valid = _capture(tmp_path, cases)
    summary = ingest_direct(
        path, lambda event: process_event(event, gateway), DirectPlan(batch_size=10),
        lambda _n: None,
    )  # fmt: skip
    assert (summary.dead_lettered, summary.report.staged) == (0, valid)
    assert dict(summary.report.rejected) == _expected(cases)
    assert len(staged_ids(engine)) == valid
    assert_nothing_kept(engine, log_lines)


def test_sqs_ingest_stages_every_valid_message_and_dead_letters_none(
    gateway: Gateway,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    log_lines: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("CARDSETTLE_MAX_RECEIVE_COUNT", "2")
    cases = [c for c in HOSTILE if c.sqs_safe and len(c.body.encode()) <= SQS_MAX_BODY_BYTES]
    path, valid = _capture(tmp_path, cases)
    with mock_aws():
        sqs: Any = boto3.client("sqs", region_name="eu-west-1")
        main_url, dlq_url = create_queues(sqs, load_settings())
        config = PollerConfig(main_url, ARN, "eu-west-1", batch_size=10, wait_s=0,
                              retry_backoff_s=1, retry_backoff_max_s=1)  # fmt: skip
        plan = SqsIngestPlan(sqs, main_url, dlq_url, config, workers=1, one_thread=True)
        summary = ingest_via_sqs(
            path, lambda event: process_event(event, gateway), plan, lambda _n: None
        )
    assert (summary.dead_lettered, summary.report.staged) == (0, valid)
    assert dict(summary.report.rejected) == _expected(cases)
    assert len(staged_ids(engine)) == valid
    assert_nothing_kept(engine, log_lines)


def test_an_unforeseen_exception_rejects_its_message_only_and_never_logs_its_text(
    gateway: Gateway,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    log_lines: pytest.LogCaptureFixture,
) -> None:
    """A defect in row building (here: a planted one) costs the message it hit, with the
    exception's type as detail: never its text, which could quote the body and its PAN."""
    from settlement.gateway import service

    real = service.staged_row

    def flawed(message: Any, *args: Any) -> Any:
        if message.transaction_id == "doomed":
            raise ValueError(f"cannot stage {message.pan}")
        return real(message, *args)

    monkeypatch.setattr(service, "staged_row", flawed)
    mates = valid_bodies(9)
    doomed = body(3, transaction_id="doomed")
    records = [sqs_record(f"m{i}", b, ARN, "eu-west-1") for i, b in enumerate([doomed, *mates])]
    response, report = process_event({"Records": records}, gateway)
    assert response == {"batchItemFailures": []}
    assert (report.staged, dict(report.rejected)) == (9, {"unexpected_error": 1})
    with engine.connect() as conn:
        row = conn.execute(select(rejected_messages)).one()
    assert (row.transaction_id, row.detail) == (None, "unexpected ValueError")
    assert_nothing_kept(engine, log_lines)
    assert any("unexpected ValueError" in r.getMessage() for r in log_lines.records)
