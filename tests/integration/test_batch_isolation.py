"""Per-message isolation, as a property: a batch of valid messages with one arbitrary body
inserted anywhere stages exactly the valid ones and rejects the other (or stages it, when it
happens to be valid), through `Gateway.process` and through the Lambda handler, on SQLite
and PostgreSQL. Nothing comes back for redelivery: a body's content is never a reason to.

The arbitrary body: any text, any JSON, a valid message with one field replaced by any JSON
value, a valid message with extreme timestamps (year 0001 to 9999, any offset), or a case
of the adversarial corpus.
"""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from settlement.adapters.clock import utc_now
from settlement.adapters.sqs_events import sqs_record
from settlement.adapters.staging import body_digest
from settlement.adapters.tables import rejected_messages, staged_transactions
from settlement.config import load_settings
from settlement.domain.pos_message import PosMessage, Rejection, RejectReason, parse_pos_message
from settlement.entrypoints.wiring import gateway_from_settings
from settlement.gateway.handler import process_event
from settlement.gateway.service import BatchReport, Gateway, InboundMessage
from tests.support.hostile_messages import HOSTILE
from tests.support.message_fuzz import json_values, sqs_text_chars
from tests.support.messages import body, message

ARN = "arn:aws:sqs:eu-west-1:123456789012:cardsettle-transactions"
ISOLATION = settings(
    deadline=None, database=None, derandomize=True, max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)  # fmt: skip
_IDS = count()

extreme_times = st.datetimes(
    timezones=st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m)))
).map(lambda instant: instant.isoformat())


@st.composite
def replaced_field(draw: st.DrawFn) -> str:
    document = message(draw(st.integers(0, 10_000)))
    document[draw(st.sampled_from(sorted(document)))] = draw(json_values)
    return json.dumps(document)


@st.composite
def extreme_timestamps(draw: st.DrawFn) -> str:
    document = message(draw(st.integers(0, 10_000)))
    for name in draw(st.sampled_from([["local_time"], ["sent_at"], ["local_time", "sent_at"]])):
        document[name] = draw(extreme_times)
    return json.dumps(document)


one_body = st.one_of(
    st.text(sqs_text_chars, max_size=300),
    json_values.map(json.dumps),
    replaced_field(),
    extreme_timestamps(),
    st.sampled_from([case.body for case in HOSTILE if len(case.body) < 100_000]),
)


def verdict(gateway: Gateway, text: str) -> PosMessage | Rejection:
    parsed = parse_pos_message(text)
    if isinstance(parsed, Rejection):
        return parsed
    why = gateway.policy.window.implausibility(utc_now(), parsed.local_time, parsed.sent_at)
    return parsed if why is None else Rejection(RejectReason.IMPLAUSIBLE_TIME, why)


def check_batch(engine: Engine, gateway: Gateway, mates: list[str], other: str,
                report: BatchReport) -> None:  # fmt: skip
    assert not report.failed_message_ids
    assert report.received == len(mates) + 1
    wanted = {json.loads(mate)["transaction_id"] for mate in mates}
    with engine.connect() as conn:
        staged = set(
            conn.execute(
                select(staged_transactions.c.transaction_id).where(
                    staged_transactions.c.transaction_id.in_(wanted)
                )
            ).scalars()
        )
        reasons = set(
            conn.execute(
                select(rejected_messages.c.reason_code).where(
                    rejected_messages.c.body_sha256 == body_digest(other)
                )
            ).scalars()
        )
    assert staged == wanted
    expected = verdict(gateway, other)
    if isinstance(expected, Rejection):
        assert reasons == {expected.reason.value}, (other[:200], expected)
        assert report.staged == len(mates)
    else:  # valid after all: staged, or a duplicate or conflict of an earlier example's
        assert report.staged + report.duplicates + sum(report.rejected.values()) == len(mates) + 1


def batch_of(other: str, position: int, size: int) -> list[str]:
    mates = [body(next(_IDS), transaction_id=f"iso-{next(_IDS):08d}") for _ in range(size)]
    return mates[:position] + [other] + mates[position:]


@pytest.fixture
def gateway(engine: Engine) -> Gateway:
    return gateway_from_settings(load_settings(), engine)


@pytest.mark.parametrize("path", ["Gateway.process", "process_event"])
def test_one_arbitrary_body_never_touches_its_batch_mates(
    path: str, gateway: Gateway, engine: Engine
) -> None:
    @ISOLATION
    @given(one_body, st.integers(0, 9), st.integers(1, 9))
    def check(other: str, position: int, size: int) -> None:
        bodies = batch_of(other, min(position, size), size)
        mates = [text for text in bodies if text is not other]
        ids = [f"m{next(_IDS)}" for _ in bodies]
        if path == "Gateway.process":
            report = gateway.process(
                [InboundMessage(i, b) for i, b in zip(ids, bodies, strict=True)]
            )
        else:
            event: dict[str, Any] = {
                "Records": [
                    sqs_record(i, b, ARN, "eu-west-1") for i, b in zip(ids, bodies, strict=True)
                ]
            }
            response, report = process_event(event, gateway)
            assert response == {"batchItemFailures": []}
        check_batch(engine, gateway, mates, other, report)

    check()
