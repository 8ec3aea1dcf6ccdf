"""The gateway's CPU cost a message, database aside: `Gateway.process` (or the Lambda handler,
`--event`) over the first N messages of a capture, in batches of 10, with a repository that
writes nothing.

Wall-clock timings on a shared 2-core machine vary by half from run to run; instruction
counts do not. Run it twice under callgrind and divide the difference by the difference in
messages, so that start-up (imports, pattern compiles) cancels out:

    for n in 1000 3000; do
      valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$n \\
        python -m bench.gateway_hot_path messages.jsonl $n 2>&1 | grep Collected
    done   # (I(3000) - I(1000)) / 2000 = instructions a message

`messages.jsonl` from `pos-sim generate --business-date 2026-11-27 --profile clean`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from settlement.adapters.sqs_events import sqs_record, system_attributes
from settlement.adapters.staging import RejectRow, StagedRow, StageOutcome
from settlement.config import load_settings
from settlement.gateway.handler import process_event
from settlement.gateway.records import StagingPolicy
from settlement.gateway.service import Gateway, InboundMessage

BATCH = 10
ARN = "arn:aws:sqs:eu-west-1:123456789012:cardsettle-transactions"


class NullRepository:
    """Stages everything, writes nothing."""

    def stage(
        self, rows: Sequence[StagedRow], rejects: Sequence[RejectRow], _at: Any, record: Any = None
    ) -> Any:
        outcome = StageOutcome(staged=[row.message_id for row in rows])
        if record is not None:  # the batch's record is made in the batch's transaction
            record(outcome)
        return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("capture", type=Path)
    parser.add_argument("count", type=int)
    parser.add_argument("--event", action="store_true", help="through process_event")
    args = parser.parse_args()
    settings = load_settings()
    policy = StagingPolicy(b"bench", settings.zone, settings.cutoff_time, settings.time_window)
    received_at = datetime(2026, 11, 28, 12, 0)  # the day after the capture's
    gateway = Gateway(NullRepository(), policy, lambda: received_at)  # type: ignore[arg-type]
    with args.capture.open(encoding="utf-8") as lines:
        bodies = [line.rstrip("\n") for _, line in zip(range(args.count), lines, strict=False)]
    gateway.process([InboundMessage("warm-up", bodies[0])])
    if args.event:
        attributes = system_attributes()
        records = [sqs_record(f"m{i}", body, ARN, "eu-west-1", attributes=attributes)
                   for i, body in enumerate(bodies)]  # fmt: skip
        for start in range(0, len(records), BATCH):
            process_event({"Records": records[start : start + BATCH]}, gateway)
        return
    for start in range(0, len(bodies), BATCH):
        batch = bodies[start : start + BATCH]
        gateway.process([InboundMessage(f"m{start + i}", body) for i, body in enumerate(batch)])


if __name__ == "__main__":
    main()
