"""The direct transport's batch loop, with a stand-in handler: what it hands over, what it
counts, and that the cyclic collector is paused only while a batch is handled."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from settlement.gateway import direct
from settlement.gateway.direct import DirectPlan, ingest_direct
from settlement.gateway.service import BatchReport


class StandIn:
    """Stages everything, except the message ids in `failing`, reported back every time."""

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.failing = failing
        self.message_ids: list[str] = []
        self.receive_counts: dict[str, list[str]] = {}
        self.collector_on: list[bool] = []

    def __call__(self, event: dict[str, Any]) -> tuple[dict[str, Any], BatchReport]:
        self.collector_on.append(gc.isenabled())
        ids = [record["messageId"] for record in event["Records"]]
        self.message_ids += ids
        for record in event["Records"]:
            count = record["attributes"]["ApproximateReceiveCount"]
            self.receive_counts.setdefault(record["messageId"], []).append(count)
        failed = [{"itemIdentifier": i} for i in ids if i in self.failing]
        report = BatchReport(received=len(ids), staged=len(ids) - len(failed))
        return {"batchItemFailures": failed}, report


@pytest.fixture
def capture(tmp_path: Path) -> Path:
    path = tmp_path / "day.jsonl"
    path.write_text("a\nb\n\nc\nd\ne\n")
    return path


def test_batches_carry_file_and_line_ids_and_the_counts_add_up(capture: Path) -> None:
    handler = StandIn()
    summary = ingest_direct(capture, handler, DirectPlan(batch_size=2), lambda _n: None)
    assert handler.message_ids == ["day.jsonl:1", "day.jsonl:2", "day.jsonl:4", "day.jsonl:5",
                                   "day.jsonl:6"]  # fmt: skip
    assert (summary.sent, summary.report.staged, summary.dead_lettered) == (5, 5, 0)


def test_records_still_failing_after_the_last_attempt_are_dead_lettered(
    capture: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(direct.time, "sleep", pauses.append)
    handler = StandIn(failing=frozenset({"day.jsonl:4"}))
    summary = ingest_direct(capture, handler, DirectPlan(max_attempts=3), lambda _n: None)
    assert handler.receive_counts["day.jsonl:4"] == ["1", "2", "3"]  # as SQS counts receives
    assert handler.receive_counts["day.jsonl:5"] == ["1"]
    assert pauses == [0.5, 1.0]  # backoff between attempts, none after the last
    assert (summary.sent, summary.report.staged, summary.dead_lettered) == (5, 4, 1)
    assert summary.report.received == 5


def test_the_collector_is_paused_only_while_a_batch_is_handled(capture: Path) -> None:
    assert gc.isenabled()
    handler = StandIn()
    ingest_direct(capture, handler, DirectPlan(batch_size=2), lambda _n: None)
    assert handler.collector_on == [False, False, False] and gc.isenabled()

    def broken(event: dict[str, Any]) -> tuple[dict[str, Any], BatchReport]:
        raise RuntimeError("handler bug")

    with pytest.raises(RuntimeError):
        ingest_direct(capture, broken, DirectPlan(), lambda _n: None)
    assert gc.isenabled()
    gc.disable()  # a caller that turned it off itself gets it back off
    try:
        ingest_direct(capture, handler, DirectPlan(), lambda _n: None)
        assert not gc.isenabled()
    finally:
        gc.enable()
