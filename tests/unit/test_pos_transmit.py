"""Transmission with a fake SQS client we own: batching, retry of failed entries, pacing."""

from __future__ import annotations

from typing import Any

import pytest

from pos_simulator.send import paced, read_bodies, transmit
from settlement.adapters.sqs_limits import MAX_MESSAGE_BYTES, NumberedBody
from tests.support.strict_sqs import StrictSqs


def numbered(bodies: list[str]) -> list[NumberedBody]:
    return list(enumerate(bodies, start=1))


class FlakySqs:
    """Fails the listed bodies a given number of times each; records every call."""

    def __init__(
        self, failures: dict[str, int], sender_fault: frozenset[str] = frozenset()
    ) -> None:
        self.failures = dict(failures)
        self.sender_fault = sender_fault
        self.calls: list[list[str]] = []
        self.delivered: list[str] = []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:  # noqa: N803 - boto3's names
        assert QueueUrl == "url" and 1 <= len(Entries) <= 10
        assert len({entry["Id"] for entry in Entries}) == len(Entries)
        self.calls.append([entry["MessageBody"] for entry in Entries])
        successful, failed = [], []
        for entry in Entries:
            body = entry["MessageBody"]
            if body in self.sender_fault:
                failed.append(
                    {
                        "Id": entry["Id"],
                        "SenderFault": True,
                        "Code": "InvalidMessageContents",
                        "Message": "bad",
                    }
                )
            elif self.failures.get(body, 0) > 0:
                self.failures[body] -= 1
                failed.append(
                    {
                        "Id": entry["Id"],
                        "SenderFault": False,
                        "Code": "InternalError",
                        "Message": "try again",
                    }
                )
            else:
                self.delivered.append(body)
                successful.append({"Id": entry["Id"], "MessageId": body})
        return {"Successful": successful, "Failed": failed}


def test_bodies_go_in_batches_of_ten_in_order() -> None:
    sqs = FlakySqs({})
    bodies = [f"m{i}" for i in range(25)]
    batches: list[int] = []
    report = transmit(sqs, "url", numbered(bodies), on_batch=batches.append)  # type: ignore[arg-type]
    assert [len(call) for call in sqs.calls] == [10, 10, 5] and batches == [10, 10, 5]
    assert sqs.delivered == bodies and report.sent == 25 and report.failed == 0


def test_only_failed_entries_are_retried_with_doubling_backoff() -> None:
    sqs = FlakySqs({"m3": 2, "m7": 1})
    sleeps: list[float] = []
    bodies = numbered([f"m{i}" for i in range(10)])
    report = transmit(sqs, "url", bodies, sleep=sleeps.append, backoff_s=0.5)  # type: ignore[arg-type]
    assert sqs.calls[1] == ["m3", "m7"] and sqs.calls[2] == ["m3"]
    assert sleeps == [0.5, 1.0]
    assert sorted(sqs.delivered) == sorted(f"m{i}" for i in range(10))
    assert (report.sent, report.failed, report.retries) == (10, 0, 3)


def test_retries_are_bounded_and_sender_faults_are_not_retried() -> None:
    sqs = FlakySqs({"stuck": 99}, sender_fault=frozenset({"poison"}))
    sleeps: list[float] = []
    bodies = numbered(["ok", "stuck", "poison"])
    report = transmit(sqs, "url", bodies, max_attempts=3, sleep=sleeps.append)  # type: ignore[arg-type]
    assert len(sqs.calls) == 3 and sqs.calls[1:] == [["stuck"], ["stuck"]]
    assert (report.sent, report.failed) == (1, 2)
    poison, stuck = sorted(report.refused, key=lambda refused: -refused.line)
    assert (poison.line, stuck.line) == (3, 2)
    assert "InvalidMessageContents" in poison.reason and "InternalError" in stuck.reason
    assert len(sleeps) == 2


def test_batch_size_is_bounded_by_the_sqs_limit() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        transmit(FlakySqs({}), "url", [(1, "a")], batch_size=11)  # type: ignore[arg-type]


def test_bodies_are_the_lines_without_their_line_end_garbled_ones_included() -> None:
    lines = ['{"a":1}\n', '{"broken\r\n', "\n", '{"b":2}']
    assert list(read_bodies(lines)) == [(1, '{"a":1}'), (2, '{"broken'), (4, '{"b":2}')]


def test_pacing_releases_bodies_at_the_requested_rate_without_real_sleeping() -> None:
    now = [100.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    released = []
    for body in paced([f"m{i}" for i in range(5)], 2.0, clock=lambda: now[0], sleep=sleep):
        released.append((body, now[0]))
    assert [at for _, at in released] == [100.0, 100.5, 101.0, 101.5, 102.0]
    assert sum(sleeps) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        list(paced(["x"], 0))


def test_what_sqs_cannot_carry_stays_behind_by_line_and_the_rest_is_sent() -> None:
    """Against SQS's own rules: an oversized line in the middle, a refused character, and
    large lines that would overflow one request's 256 KiB if batched by count alone."""
    bodies = [f"m{i}" for i in range(30)]
    bodies[11] = "x" * (MAX_MESSAGE_BYTES + 1)
    bodies[19] = "bell\x07"
    bodies[5:8] = ["y" * 100_000] * 3
    sqs = StrictSqs()
    report = transmit(sqs, "url", numbered(bodies))  # type: ignore[arg-type]
    assert sqs.delivered == [b for i, b in enumerate(bodies) if i not in (11, 19)]
    assert [refused.line for refused in report.refused] == [12, 20]
    assert "over SQS's 262,144-byte" in report.refused[0].reason
    assert "U+0007" in report.refused[1].reason
    assert max(sqs.batch_bytes) <= MAX_MESSAGE_BYTES and report.sent == 28
