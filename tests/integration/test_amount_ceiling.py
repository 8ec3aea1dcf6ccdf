"""Amounts past the ceiling are rejected by the domain with `amount_out_of_range`.

Before the ceiling, an amount past BIGINT reached the database and came back as
`storage_rejected`; now the validator names the limit, and the largest allowed amount
stages and round-trips on both backends.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from settlement.adapters.sqs_events import sqs_record
from settlement.adapters.tables import rejected_messages, staged_transactions
from settlement.config import load_settings
from settlement.domain.pos_message import (
    MAX_AMOUNT_MINOR,
    PosMessage,
    Rejection,
    RejectReason,
    parse_pos_message,
)
from settlement.entrypoints.wiring import gateway_from_settings
from settlement.gateway.handler import process_event
from tests.support.messages import body

ARN = "arn:aws:sqs:eu-west-1:123456789012:cardsettle-transactions"
BIGINT_MAX = 2**63 - 1


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("100000000000.00", "EUR"),  # one cent past the ceiling
        ("10000000000000", "JPY"),
        ("10000000000.000", "KWD"),
        ("92233720368547758.08", "EUR"),  # BIGINT + 1 minor unit
        ("9" * 999, "EUR"),  # the longest run searched for a PAN window by window
    ],
)
def test_amounts_past_the_ceiling_are_out_of_range(amount: str, currency: str) -> None:
    outcome = parse_pos_message(body(1, amount=amount, currency=currency))
    assert isinstance(outcome, Rejection)
    assert outcome.reason is RejectReason.AMOUNT_OUT_OF_RANGE
    assert f"{MAX_AMOUNT_MINOR:,} minor units" in outcome.detail
    assert outcome.transaction_id == "tx-00000001"


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("99999999999.99", "EUR", MAX_AMOUNT_MINOR),
        ("9999999999999", "JPY", MAX_AMOUNT_MINOR),
    ],
)
def test_amounts_up_to_the_ceiling_parse(amount: str, currency: str, minor: int) -> None:
    outcome = parse_pos_message(body(1, amount=amount, currency=currency))
    assert isinstance(outcome, PosMessage) and outcome.amount.amount_minor == minor


@pytest.mark.parametrize(
    "amount",
    [
        "4111111111111111",  # a PAN keyed into the amount
        "9" * 5000,  # past Python's int() digit limit, and too long a run to search
    ],
)
def test_a_pan_keyed_into_the_amount_is_in_the_wrong_field(amount: str) -> None:
    outcome = parse_pos_message(body(1, amount=amount, currency="USD"))
    assert isinstance(outcome, Rejection)
    assert outcome.reason is RejectReason.PAN_IN_WRONG_FIELD
    assert outcome.transaction_id == "tx-00000001"


@pytest.mark.parametrize("amount", ["012.50", "0" * 5 + "12.50", "00.50"])
def test_an_amount_has_one_spelling_no_leading_zero(amount: str) -> None:
    outcome = parse_pos_message(body(1, amount=amount))
    assert isinstance(outcome, Rejection) and outcome.reason is RejectReason.INVALID_AMOUNT


def test_the_ceiling_leaves_room_for_sums_below_bigint() -> None:
    assert MAX_AMOUNT_MINOR * 100_000 < BIGINT_MAX


def test_the_gateway_rejects_out_of_range_and_stages_the_ceiling(engine: Engine) -> None:
    gateway = gateway_from_settings(load_settings(), engine)
    bodies = [body(1, amount="99999999999.99"), body(2, amount="92233720368547758.08")]
    records = [sqs_record(f"m{i}", b, ARN, "eu-west-1") for i, b in enumerate(bodies)]
    response, report = process_event({"Records": records}, gateway)
    assert response == {"batchItemFailures": []}
    assert report.staged == 1 and report.rejected == {"amount_out_of_range": 1}
    with engine.connect() as conn:
        staged = conn.execute(select(staged_transactions.c.amount_minor)).scalars().all()
        reject = conn.execute(select(rejected_messages)).one()
    assert staged == [MAX_AMOUNT_MINOR]
    assert reject.reason_code == "amount_out_of_range" and "ceiling" in reject.detail


def test_the_message_schema_states_the_ceiling() -> None:
    from pos_simulator.contract import message_schema

    description = message_schema()["properties"]["amount"]["description"]
    assert f"{MAX_AMOUNT_MINOR:,} minor units" in description
    assert "amount_out_of_range" in description
