"""The staged row's stored digests are a contract with rows already staged: a redelivery of
a message staged by an earlier release must hash the same, or it would be a conflict."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.adapters.staging import STAGED_COLUMNS
from settlement.config import Settings
from settlement.domain.cards import CardTokenizer, card_token
from settlement.domain.pos_message import PosMessage, parse_pos_message
from settlement.gateway.records import StagingPolicy, staged_row
from tests.support.messages import body

POLICY = StagingPolicy(
    b"pinned-key", ZoneInfo("Europe/Amsterdam"), time(22, 0), Settings().time_window
)


@pytest.mark.parametrize(
    "text, content_hash, token, business_date",
    [
        (
            body(1),
            "5093f81287bc12db714a8e59ef5b8451c29a54344bb3d166e5d6896eaa0a4406",
            "6049e0f4a6a09570d8247d71b72585b3c6bed7222dc2cd5f843661ce6f65a9e7",
            date(2026, 11, 27),
        ),
        (
            body(
                7,
                type="refund",
                original_transaction_id="tx-orig",
                amount="1250",
                currency="JPY",
                local_time="2026-03-29T02:30:00+02:00",
            ),  # fmt: skip
            "2226fa57882da9f554b9a77050ab7583be6aed035922061770f1e73a14508109",
            "2181100247dcdefae4f4e5fd9e9ef8d3ba4ba68f4abf7511a9a8dc5d0a2e66f0",
            date(2026, 3, 29),
        ),
    ],
)
def test_digests_are_those_of_earlier_releases(
    text: str, content_hash: str, token: str, business_date: date
) -> None:
    message = parse_pos_message(text)
    assert isinstance(message, PosMessage)
    row = staged_row(message, POLICY, "m1", datetime(2026, 1, 1), text).values
    assert (row["content_hash"], row["card_token"]) == (content_hash, token)
    assert row["business_date"] == business_date


def test_row_is_built_in_table_column_order() -> None:
    message = parse_pos_message(body(4, amount="3.125", currency="KWD"))
    assert isinstance(message, PosMessage)
    row = staged_row(message, POLICY, "m4", datetime(2026, 1, 1, 12), "")
    assert list(row.values) == list(STAGED_COLUMNS)
    assert row.values["amount_minor"] == 3125 and row.values["currency"] == "KWD"
    assert row.values["card_bin"] == "41111111" and row.values["card_last4"] == "1111"
    assert (row.transaction_id, row.message_id) == ("tx-00000004", "m4")
    row.stamp_staged_at(datetime(2026, 1, 1, 12, 0, 1))
    assert row.values["staged_at"] == datetime(2026, 1, 1, 12, 0, 1)
    assert row.received_at == datetime(2026, 1, 1, 12)


@given(
    key=st.binary(max_size=200),  # empty, shorter and longer than SHA-256's 64-byte block
    pan=st.text(alphabet="0123456789", min_size=13, max_size=19),
)
def test_the_tokenizer_computes_hmac_sha256(key: bytes, pan: str) -> None:
    expected = hmac.new(key, pan.encode(), hashlib.sha256).hexdigest()
    assert CardTokenizer(key)(pan) == card_token(pan, key) == expected


def test_the_tokenizer_is_reusable() -> None:
    """Each token starts from copies of the pads' hash states, never from the last token's."""
    tokenize = CardTokenizer(b"k" * 64)
    first = tokenize("4111111111111111")
    assert tokenize("5555555555554444") != first
    assert tokenize("4111111111111111") == first
