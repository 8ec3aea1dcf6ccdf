"""SQS's limits, decided before sending: size as SQS counts it, refused characters, batches
packed under the total payload limit, and a batch refused whole split to find the culprit."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from settlement.adapters.sqs_limits import (
    MAX_MESSAGE_BYTES,
    Refusal,
    message_bytes,
    packed,
    refusal,
    send_entries,
)
from tests.support.strict_sqs import StrictSqs


def test_size_is_utf8_bytes_of_the_body_and_the_attributes() -> None:
    assert message_bytes("abc") == 3
    assert message_bytes("é€𝄞") == 2 + 3 + 4
    attributes = {"kind": {"DataType": "String", "StringValue": "pos"}}
    assert message_bytes("abc", attributes) == 3 + len("kind") + len("String") + len("pos")
    binary = {"b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}}
    assert message_bytes("", binary) == 1 + 6 + 2


def test_the_limit_is_in_bytes_not_characters() -> None:
    assert refusal(1, "a" * MAX_MESSAGE_BYTES) is None
    over = refusal(7, "a" * (MAX_MESSAGE_BYTES + 1))
    assert over == Refusal(7, MAX_MESSAGE_BYTES + 1, "over SQS's 262,144-byte message limit")
    assert over.describe().startswith("line 7 not sent (262,145 bytes): over SQS's")
    # 131,073 characters, 262,146 bytes: a limit counted in characters would let it through
    assert refusal(2, "é" * (MAX_MESSAGE_BYTES // 2 + 1)) is not None


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1f", "\ufffe", "\uffff", "\ud800"])
def test_characters_sqs_refuses_are_named_by_code_point_and_column(char: str) -> None:
    refused = refusal(3, '{"id":"a' + char + '"}')
    assert refused is not None and refused.line == 3
    assert f"U+{ord(char):04X} at column 9" in refused.reason
    assert char not in refused.describe()


@pytest.mark.parametrize("char", ["\t", "\n", "\r", " ", "\ud7ff", "\ue000", "\ufffd", "𝄞"])
def test_characters_sqs_accepts_pass(char: str) -> None:
    assert refusal(1, "x" + char) is None


sizes = st.lists(st.integers(min_value=1, max_value=MAX_MESSAGE_BYTES + 10), max_size=40)


@given(sizes)
def test_batches_keep_order_and_fit_both_limits(lengths: list[int]) -> None:
    bodies = [(number, "a" * length) for number, length in enumerate(lengths, start=1)]
    refused: list[Refusal] = []
    batches = list(packed(bodies, refused.append))
    assert all(1 <= len(batch) <= 10 for batch in batches)
    assert all(sum(len(body) for _, body in batch) <= MAX_MESSAGE_BYTES for batch in batches)
    sent = [numbered for batch in batches for numbered in batch]
    assert sent == [(n, b) for n, b in bodies if len(b) <= MAX_MESSAGE_BYTES]
    assert [r.line for r in refused] == [n for n, b in bodies if len(b) > MAX_MESSAGE_BYTES]


def test_three_100_kib_messages_go_in_two_batches() -> None:
    bodies = [(n, "a" * 100_000) for n in (1, 2, 3)]
    assert [[n for n, _ in batch] for batch in packed(bodies, print)] == [[1, 2], [3]]


class WholeBatchRefuser(StrictSqs):
    """An endpoint that refuses a whole batch for one body it does not like."""

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        if any("poison" in entry["MessageBody"] for entry in Entries):
            error = {"Error": {"Code": "InvalidParameterValue", "Message": "no poison"}}
            raise ClientError(error, "SendMessageBatch")  # type: ignore[arg-type]
        return super().send_message_batch(QueueUrl, Entries)


def test_a_batch_refused_whole_is_sent_one_by_one_and_only_the_culprit_fails() -> None:
    sqs = WholeBatchRefuser()
    entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate("a b poison c".split())]
    response = send_entries(sqs, "url", entries)  # type: ignore[arg-type]
    assert sqs.delivered == ["a", "b", "c"]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in response["Failed"]] == [
        ("2", "InvalidParameterValue", True)
    ]


class Throttled(StrictSqs):
    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        raise ClientError({"Error": {"Code": "ThrottlingException"}}, "SendMessageBatch")  # type: ignore[arg-type]


def test_errors_of_the_service_are_not_taken_for_a_message_s_fault() -> None:
    with pytest.raises(ClientError):
        send_entries(Throttled(), "url", [{"Id": "0", "MessageBody": "a"}])  # type: ignore[arg-type]
