"""`settlement dashboard` as its own process against a moto server (real mode on one machine):
it sees the queue fill, the consumer's batches drain it, and the figures equal the database.
With the embedded SQS only the demo's own process can (tests/integration/test_dashboard_cli.py).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from settlement.adapters.aws import queue_url
from settlement.adapters.sqs_events import send_bodies
from settlement.adapters.tables import gateway_batches, staged_transactions
from tests.support.messages import body
from tests.support.real_mode import real_mode, wait_until

pytestmark = pytest.mark.e2e

MESSAGES = 40
URL = re.compile(r"live view: (http://127\.0\.0\.1:\d+/)")


def state(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url + "api/state", timeout=10) as answer:
        found: dict[str, Any] = json.loads(answer.read())
        return found


def counted(database_url: str) -> tuple[int, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            staged = conn.execute(select(func.count()).select_from(staged_transactions))
            received = conn.execute(select(func.sum(gateway_batches.c.received)))
            return int(staged.scalar_one()), int(received.scalar_one() or 0)
    finally:
        engine.dispose()


def test_the_dashboard_process_watches_the_queue_drain(tmp_path: Path, aws_endpoint: str) -> None:
    database_url = f"sqlite:///{tmp_path / 'cardsettle.db'}"
    with real_mode(tmp_path, database_url, aws_endpoint) as rig:
        sqs = rig.sqs()
        send_bodies(sqs, queue_url(sqs, rig.settings.queue_name), map(body, range(MESSAGES)))
        process = subprocess.Popen(
            [sys.executable, "-m", "settlement", "dashboard", "--port", "0"], env=rig.env,
            cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            found = URL.search(process.stdout.readline())
            assert found, "no URL printed"
            live = found[1]
            first = state(live)
            assert first["queue"]["problem"] is None and first["queue"]["target"] == aws_endpoint
            assert first["totals"]["in_queue"] == MESSAGES and first["totals"]["staged"] == 0
            rig.start_consumer("--drain")
            wait_until(lambda: state(live)["totals"]["staged"] == MESSAGES, 60, "all staged")
            wait_until(lambda: state(live)["totals"]["in_flight"] == 0, 30, "nothing in flight")
            final = state(live)
            staged, received = counted(database_url)
            assert final["totals"]["staged"] == staged == MESSAGES
            assert final["totals"]["received"] == received
            assert final["totals"]["sent"] == received + final["totals"]["in_queue"]
            (consumer,) = final["consumers"]
            assert consumer["mode"] == "batch" and consumer["received"] == received
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=15) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            assert process.stdout is not None
            process.stdout.close()
