"""The one SQS sender (`send_batch`): which entries it sends again, how long it waits, and
what it gives up on, against a scripted fake client."""

from __future__ import annotations

from typing import Any

import pytest

from settlement.adapters.sqs_events import RetryPolicy, SendOutcome, send_batch, send_bodies


class ScriptedSqs:
    """Each body's answers in turn: "ok", "retry" (an SQS-side failure) or "sender" (the
    sender's fault); a body with no script left is accepted."""

    def __init__(self, scripts: dict[str, list[str]]) -> None:
        self.scripts = {body: list(script) for body, script in scripts.items()}
        self.calls: list[list[str]] = []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:  # noqa: N803 - boto3's names
        self.calls.append([entry["MessageBody"] for entry in Entries])
        successful, failed = [], []
        for entry in Entries:
            script = self.scripts.get(entry["MessageBody"]) or ["ok"]
            answer = script.pop(0)
            if answer == "ok":
                successful.append({"Id": entry["Id"], "MessageId": entry["MessageBody"]})
            else:
                failed.append({"Id": entry["Id"], "SenderFault": answer == "sender",
                               "Code": "InternalError" if answer == "retry" else "Invalid",
                               "Message": answer})  # fmt: skip
        return {"Successful": successful, "Failed": failed}


def _send(sqs: ScriptedSqs, bodies: list[str], policy: RetryPolicy) -> SendOutcome:
    outcome = SendOutcome()
    send_batch(sqs, "url", list(enumerate(bodies, start=1)), outcome, policy)  # type: ignore[arg-type]
    return outcome


def test_only_failed_entries_go_again_waiting_ever_longer_up_to_the_cap() -> None:
    sqs = ScriptedSqs({"b": ["retry", "retry", "retry"], "c": ["retry"]})
    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=4, base_s=0.5, cap_s=1.0, sleep=sleeps.append)
    outcome = _send(sqs, ["a", "b", "c"], policy)
    assert sqs.calls == [["a", "b", "c"], ["b", "c"], ["b"], ["b"]]
    assert sleeps == [0.5, 1.0, 1.0]
    assert (outcome.sent, outcome.retries, outcome.failed) == (3, 4, 0)


def test_a_sender_fault_is_never_retried_and_attempts_are_bounded() -> None:
    sqs = ScriptedSqs({"poison": ["sender"], "stuck": ["retry"] * 9})
    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=3, sleep=sleeps.append)
    outcome = _send(sqs, ["ok", "poison", "stuck"], policy)
    assert sqs.calls == [["ok", "poison", "stuck"], ["stuck"], ["stuck"]]
    assert sleeps == [0.05, 0.1]  # the default policy: 50 ms doubling
    assert outcome.sent == 1 and [refused.line for refused in outcome.refused] == [2, 3]
    assert "Invalid" in outcome.refused[0].reason
    assert "InternalError" in outcome.refused[1].reason


def test_send_bodies_raises_on_any_refusal_naming_the_line() -> None:
    sqs = ScriptedSqs({"poison": ["sender"]})
    with pytest.raises(RuntimeError, match="line 2"):
        send_bodies(sqs, "url", ["ok", "poison"], RetryPolicy(sleep=lambda _s: None))  # type: ignore[arg-type]
    assert send_bodies(ScriptedSqs({}), "url", ["a", "b"]) == 2  # type: ignore[arg-type]
