"""Fuzz the Lambda handler: garbage, arbitrary JSON, schema-derived and near-valid messages.

Whatever arrives, `process_event` must not raise; each record with a sound SQS envelope is
either staged (its transaction's row exists, or a `conflict` reject keeps the first
version) or rejected with the reason the validator gives and a detail; only envelope
problems come back in `batchItemFailures`; and no PAN (a Luhn-valid 13-19 digit run) is
stored in any table or written to any log line.

Bodies come from `tests.support.message_fuzz`. Each example is an
event of several records, as SQS delivers them, so the database cost is paid per batch;
"cases" below counts records. Runs on SQLite in a tmpfs directory where one exists.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from settlement.adapters.clock import utc_now
from settlement.adapters.database import create_db_engine, upgrade
from settlement.adapters.sqs_events import sqs_record
from settlement.adapters.staging import body_digest
from settlement.adapters.tables import rejected_messages, staged_transactions
from settlement.config import load_settings
from settlement.domain.pos_message import PosMessage, Rejection, RejectReason, parse_pos_message
from settlement.entrypoints.wiring import gateway_from_settings
from settlement.gateway.handler import process_event
from settlement.gateway.records import staged_row
from settlement.gateway.service import Gateway
from tests.support.message_fuzz import garbage_bodies, near_valid_bodies, schema_bodies
from tests.support.messages import TEST_PANS, message
from tests.support.pan_scan import is_hex_digest, pans_in, pans_in_database

ARN = "arn:aws:sqs:eu-west-1:123456789012:cardsettle-transactions"
FUZZ = settings(
    deadline=None, database=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)  # fmt: skip


_ODD_SENT = ("yesterday", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-00:01")


@st.composite
def broken_envelopes(draw: st.DrawFn, index: int, body: str) -> dict[str, Any]:
    """An SQS record with one envelope field, or one of its system attributes, missing or
    of the wrong type."""
    record = sqs_record(f"env-{index}", body, ARN, "eu-west-1")
    name = draw(
        st.sampled_from(["body", "attributes", "eventSource", "md5OfBody", "awsRegion",
                         "attributes.SenderId", "attributes.SentTimestamp"])
    )  # fmt: skip
    fields, key = (record["attributes"], name[11:]) if "." in name else (record, name)
    if draw(st.booleans()):
        del fields[key]
    else:
        wrong = st.lists(st.integers(), max_size=2) | st.none()
        # An integer is a fine epoch timestamp, and any text a fine string field. The parser
        # takes an ISO time with an offset, even one with no instant in UTC.
        odd = st.sampled_from(_ODD_SENT) if key == "SentTimestamp" else st.integers()
        fields[key] = draw(wrong | odd)
    return record


# ---------------------------------------------------------------- the rig


class _LogLines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class Rig:
    engine: Engine
    gateway: Gateway
    logs: _LogLines
    ids: Iterator[int] = field(default_factory=count)
    cases: int = 0

    def run(self, bodies: list[str], broken: list[dict[str, Any]] | None = None) -> None:
        records = [sqs_record(f"m{next(self.ids)}", body, ARN, "eu-west-1") for body in bodies]
        broken = broken or []
        for record in broken:
            record["messageId"] = f"env{next(self.ids)}"
        self.cases += len(records) + len(broken)
        response, _report = process_event({"Records": records + broken}, self.gateway)
        failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
        assert failed == {record["messageId"] for record in broken}
        self._check_outcomes(bodies)

    def _check_outcomes(self, bodies: list[str]) -> None:
        digests = {body_digest(body) for body in bodies}
        with self.engine.connect() as conn:
            rejects = {
                (row.body_sha256, row.reason_code): row
                for row in conn.execute(
                    select(rejected_messages).where(rejected_messages.c.body_sha256.in_(digests))
                )
            }
            parsed = {body: self._verdict(body) for body in bodies}
            wanted = {p.transaction_id for p in parsed.values() if isinstance(p, PosMessage)}
            staged = {
                row.transaction_id: row
                for row in conn.execute(
                    select(staged_transactions).where(
                        staged_transactions.c.transaction_id.in_(wanted)
                    )
                )
            }
        for body, outcome in parsed.items():
            digest = body_digest(body)
            if isinstance(outcome, PosMessage):
                # no storage_rejected escape: whatever validates must fit the schema (an
                # amount past BIGINT is the validator's amount_out_of_range now)
                row = staged.get(outcome.transaction_id)
                assert row is not None, f"well-formed and neither staged nor rejected: {body!r}"
                mine = staged_row(outcome, self.gateway.policy, "x", row.received_at, body)
                assert row.content_hash == mine.content_hash or (digest, "conflict") in rejects, (
                    f"conflict not recorded: {body!r}; rejects {sorted(rejects)}; "
                    f"staged {dict(row._mapping)}"
                )
            else:
                reject = rejects.get((digest, outcome.reason.value))
                assert reject is not None, f"no {outcome.reason} reject for {body!r}"
                assert reject.detail
        for row in staged.values():
            values = [
                v for k, v in row._mapping.items() if isinstance(v, str) and not is_hex_digest(k, v)
            ]
            assert pans_in(" ".join(values)) == [], f"PAN staged in {row}"
        for row in rejects.values():
            self._check_reject(dict(row._mapping))

    def _verdict(self, body: str) -> PosMessage | Rejection:
        """What the gateway must decide: the parser's verdict, then the plausible window."""
        outcome = parse_pos_message(body)
        if isinstance(outcome, Rejection):
            return outcome
        window = self.gateway.policy.window
        why = window.implausibility(utc_now(), outcome.local_time, outcome.sent_at)
        return outcome if why is None else Rejection(RejectReason.IMPLAUSIBLE_TIME, why)

    def _check_reject(self, row: dict[str, Any]) -> None:
        for column in ("transaction_id", "detail", "body", "message_id"):
            assert pans_in(str(row[column] or "")) == [], (
                f"PAN in rejected_messages.{column}: {row}"
            )

    def check_everything_at_rest(self) -> None:
        with self.engine.connect() as conn:
            for row in conn.execute(select(rejected_messages)).mappings():
                self._check_reject(dict(row))
        url = self.engine.url.render_as_string(hide_password=False)
        stored = pans_in_database(url)
        assert stored == [], f"PAN stored: {stored[:5]}"
        logged = [line for line in self.logs.lines if pans_in(line)]
        assert logged == [], f"PAN logged: {logged[:3]}"


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    shm = Path("/dev/shm")
    # tmpfs makes synchronous=FULL commits cheap; the SQL is the same as on disk
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else tmp_path) as scratch:
        url = f"sqlite:///{scratch}/fuzz.db"
        upgrade(url)
        engine = create_db_engine(url, write_lock_on_begin=True)
        logs = _LogLines()
        logging.getLogger().addHandler(logs)
        previous = logging.getLogger().level
        logging.getLogger().setLevel(logging.DEBUG)
        try:
            yield Rig(engine, gateway_from_settings(load_settings(), engine), logs)
        finally:
            logging.getLogger().removeHandler(logs)
            logging.getLogger().setLevel(previous)
            engine.dispose()


batches = st.lists  # one example = one SQS batch of up to 10 records, as SQS delivers them


def _report(capsys: pytest.CaptureFixture[str], name: str, rig: Rig) -> None:
    with capsys.disabled():
        print(f"\n[fuzz] {name}: {rig.cases} records, each staged or rejected; no PAN kept")


# ---------------------------------------------------------------- the tests


def test_garbage_and_arbitrary_json(rig: Rig, capsys: pytest.CaptureFixture[str]) -> None:
    @settings(FUZZ, max_examples=800)
    @given(batches(garbage_bodies, min_size=5, max_size=10))
    def check(bodies: list[str]) -> None:
        rig.run(bodies)

    check()
    rig.check_everything_at_rest()
    _report(capsys, "garbage", rig)
    assert rig.cases >= 5_000


def test_near_valid_messages(rig: Rig, capsys: pytest.CaptureFixture[str]) -> None:
    @settings(FUZZ, max_examples=700)
    @given(batches(near_valid_bodies, min_size=5, max_size=10))
    def check(bodies: list[str]) -> None:
        rig.run(bodies)

    check()
    rig.check_everything_at_rest()
    _report(capsys, "near-valid", rig)
    assert rig.cases >= 4_000


def test_messages_valid_against_the_json_schema(
    rig: Rig, capsys: pytest.CaptureFixture[str]
) -> None:
    @settings(FUZZ, max_examples=120)
    @given(batches(schema_bodies, min_size=5, max_size=10))
    def check(bodies: list[str]) -> None:
        rig.run(bodies)

    check()
    rig.check_everything_at_rest()
    _report(capsys, "schema-derived", rig)
    assert rig.cases >= 600


def test_broken_envelopes_are_reported_and_their_batch_mates_handled(
    rig: Rig, capsys: pytest.CaptureFixture[str]
) -> None:
    @settings(FUZZ, max_examples=250)
    @given(batches(near_valid_bodies, min_size=3, max_size=8), st.data())
    def check(bodies: list[str], data: st.DataObject) -> None:
        broken = [data.draw(broken_envelopes(i, body)) for i, body in enumerate(bodies[:2])]
        rig.run(bodies[2:], broken)

    check()
    rig.check_everything_at_rest()
    _report(capsys, "broken envelopes", rig)
    assert rig.cases >= 1_000


# ---------------------------------------------------------------- bugs this fuzz found, pinned


def test_found_a_reject_never_keeps_a_pan_in_transaction_id(rig: Rig) -> None:
    rig.run([json.dumps(message(1, transaction_id=TEST_PANS[0], merchant_id=None))])
    assert pans_in_database(rig.engine.url.render_as_string(hide_password=False)) == []


def test_found_b_mask_pans_masks_long_digit_runs_whole() -> None:
    from settlement.domain.cards import mask_pans

    assert pans_in(mask_pans("000000000000001628808019692076")) == []


def test_found_c_an_unstorable_transaction_id_is_rejected_not_redelivered(rig: Rig) -> None:
    broken = json.dumps(message(1, transaction_id="\ud800"))
    response, report = process_event(
        {"Records": [sqs_record("m1", broken, ARN, "eu-west-1")]}, rig.gateway
    )
    assert response == {"batchItemFailures": []} and report.rejected == {"invalid_field": 1}


def test_found_d_a_repeat_of_a_conflicting_batch_mate_is_a_conflict(rig: Rig) -> None:
    rig.run([json.dumps(message(1))])
    changed = message(1, amount="9.99")
    # the repeat differs from the first only by sent_at, which the content hash leaves out
    first, repeat = json.dumps(changed), json.dumps({**changed, "sent_at": "2026-11-27T07:01:09Z"})
    _, report = process_event(
        {
            "Records": [
                sqs_record(f"d{i}", b, ARN, "eu-west-1") for i, b in enumerate([first, repeat])
            ]
        },
        rig.gateway,
    )
    assert report.rejected == {"conflict": 2} and report.duplicates == 0


def test_found_e_an_amount_past_bigint_is_out_of_range_not_a_storage_refusal(rig: Rig) -> None:
    huge = json.dumps(message(1, amount="92233720368547758.08"))
    response, report = process_event(
        {"Records": [sqs_record("m1", huge, ARN, "eu-west-1")]}, rig.gateway
    )
    assert response == {"batchItemFailures": []}
    assert report.rejected == {"amount_out_of_range": 1}


@pytest.mark.parametrize("sent", _ODD_SENT[1:])
def test_found_f_a_sent_time_outside_utc_is_its_own_broken_envelope(rig: Rig, sent: str) -> None:
    """Found by reading: the parser takes the time, and turning it into UTC overflowed, which
    failed the whole batch (every batch-mate redelivered) instead of the one record."""
    odd = sqs_record("odd", json.dumps(message(1)), ARN, "eu-west-1")
    odd["attributes"] = {**odd["attributes"], "SentTimestamp": sent}
    mate = sqs_record("mate", json.dumps(message(2)), ARN, "eu-west-1")
    response, report = process_event({"Records": [odd, mate]}, rig.gateway)
    assert response == {"batchItemFailures": [{"itemIdentifier": "odd"}]}
    assert report.staged == 1


def test_found_g_a_broken_envelope_with_a_numeric_message_id_comes_back(rig: Rig) -> None:
    """Found by the red team: its id was looked up as the number, the failures hold text, so
    it counted as handled and SQS would have deleted it, neither staged nor rejected."""
    odd = sqs_record("odd", json.dumps(message(1)), ARN, "eu-west-1")
    odd["messageId"] = 7
    mate = sqs_record("mate", json.dumps(message(2)), ARN, "eu-west-1")
    response, report = process_event({"Records": [odd, mate]}, rig.gateway)
    assert response == {"batchItemFailures": [{"itemIdentifier": 7}]}
    assert report.staged == 1
