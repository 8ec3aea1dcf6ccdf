"""The gateway under faults, as real OS processes: SIGKILL, database outage, poison message.

Each test runs real mode on one machine: `settlement aws-local` (moto server), a throwaway
PostgreSQL, `settlement db upgrade` and `queues create`, traffic sent from this process to
the queue while `settlement gateway consume` processes stage it. The claim under test is
the gateway's contract: every transmitted well-formed transaction staged exactly once,
every malformed one rejected once with its reason, nothing left on the queue, no PAN kept.
Each test prints its figures.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, select

from settlement.adapters.aws import queue_url
from settlement.adapters.clock import utc_now
from settlement.adapters.sqs_events import send_bodies
from settlement.adapters.tables import staged_transactions
from settlement.config import load_settings
from settlement.domain.pos_message import PosMessage, parse_pos_message
from settlement.gateway.records import StagingPolicy, staged_row
from tests.support import pgcontrol
from tests.support.messages import body
from tests.support.pgcluster import scratch_database
from tests.support.pgcontrol import ControlledCluster
from tests.support.real_mode import (
    Sender,
    assert_exactly_once,
    drained,
    outcome,
    queue_depth,
    real_mode,
    survivors_report,
    wait_until,
)
from tests.support.staging_builder import row_held_open

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

pytestmark = pytest.mark.e2e


def report(capsys: pytest.CaptureFixture[str], test: str, figures: dict[str, object]) -> None:
    """Print a test's figures past pytest's capture, so `make test` shows them."""
    with capsys.disabled():
        print(f"\n[e2e] {test}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


def staged_ids(database: str) -> list[str]:
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            return [tid for (tid,) in conn.execute(select(staged_transactions.c.transaction_id))]
    finally:
        engine.dispose()


@pytest.fixture
def database(pg_server: str) -> Iterator[str]:
    with scratch_database(pg_server) as url:
        yield url


def test_consumers_sigkilled_mid_batch_lose_and_double_nothing(
    tmp_path: Path, database: str, aws_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(7)
    started = time.monotonic()
    with real_mode(tmp_path, database, aws_endpoint) as rig:
        sqs = rig.sqs()
        url = queue_url(sqs, rig.settings.queue_name)
        for _ in range(2):
            rig.start_consumer()
        sender = Sender(rig.sqs(), url, rate_msg_s=40)
        sender.start()
        in_flight_at_kill: list[int] = []
        while len(in_flight_at_kill) < 4:
            wait_until(lambda: sum(c.consuming() for c in rig.consumers) == 2, 60, "2 consumers")
            time.sleep(rng.uniform(0.5, 1.5))
            victim = min((c for c in rig.consumers if c.alive()), key=lambda c: c.started_at)
            in_flight_at_kill.append(_in_flight_soon(sqs, url))
            victim.kill()
            rig.start_consumer()
        time.sleep(1.0)  # traffic goes on past the last kill
        traffic = sender.finish()
        wait_until(drained(rig, traffic), 60, "every message staged or rejected")
        received, _staged, duplicates = survivors_report(rig.consumers)
        figures = assert_exactly_once(rig, traffic)
    assert sum(1 for n in in_flight_at_kill if n) >= 3, "kills must catch batches in flight"
    report(capsys, "sigkill", {
        "sent": sender.sent, "distinct_valid": len(traffic.valid_ids),
        "malformed": len(traffic.malformed), "duplicates_sent": traffic.duplicates_sent,
        **figures, "kills_survived": len(in_flight_at_kill),
        "in_flight_at_each_kill": in_flight_at_kill,
        "survivors_received": received, "survivors_duplicates": duplicates,
        "seconds": round(time.monotonic() - started, 1),
    })  # fmt: skip


def _in_flight_soon(sqs: SQSClient, url: str) -> int:
    """Messages some consumer holds right now, waiting up to 3 s for a batch to be in hand."""
    deadline = time.monotonic() + 3.0
    while (held := queue_depth(sqs, url)[1]) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    return held


@pytest.fixture
def outage_cluster() -> Iterator[ControlledCluster]:
    with pgcontrol.outage_cluster() as cluster:
        yield cluster


def test_database_stopped_and_restarted_under_load(
    tmp_path: Path,
    outage_cluster: ControlledCluster,
    aws_endpoint: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    started = time.monotonic()
    database = outage_cluster.url  # its own cluster: a scratch database would add nothing
    with real_mode(tmp_path, database, aws_endpoint, max_receive_count="50") as rig:
        sqs = rig.sqs()
        url, dlq = queue_url(sqs, rig.settings.queue_name), queue_url(sqs, rig.settings.dlq_name)
        consumers = [rig.start_consumer() for _ in range(2)]
        sender = Sender(rig.sqs(), url, rate_msg_s=40)
        sender.start()
        wait_until(lambda: outcome(database).staged >= 100, 60, "100 staged before the outage")
        staged_before = outcome(database).staged
        outage_started = time.monotonic()
        outage_cluster.stop("fast")
        time.sleep(3.0)
        waiting = queue_depth(sqs, url)
        outage_cluster.start()
        outage_s = time.monotonic() - outage_started
        assert sum(waiting) > 0, "messages sent during the outage must wait on the queue"
        time.sleep(1.0)  # traffic goes on past the restart
        traffic = sender.finish()
        wait_until(drained(rig, traffic), 60, "every message staged or rejected")
        assert all(c.alive() for c in consumers), "a consumer died of the outage"
        retries = rig.logs().count("left for redelivery")
        survivors_report(consumers)
        figures = assert_exactly_once(rig, traffic)
        assert queue_depth(sqs, dlq) == (0, 0)
    assert retries > 0, "the outage never reached a consumer"
    report(capsys, "database outage", {
        "sent": sender.sent, "distinct_valid": len(traffic.valid_ids),
        "malformed": len(traffic.malformed), "duplicates_sent": traffic.duplicates_sent,
        **figures, "staged_before_outage": staged_before, "outage_s": round(outage_s, 1),
        "on_queue_during_outage": sum(waiting), "records_reported_for_redelivery": retries,
        "consumers_restarted": 0, "seconds": round(time.monotonic() - started, 1),
    })  # fmt: skip


@contextmanager
def row_locked(database: str, message_body: str) -> Iterator[None]:
    """Insert the row of `message_body` in a transaction left open, so its key stays locked."""
    settings = load_settings()
    parsed = parse_pos_message(message_body)
    assert isinstance(parsed, PosMessage)
    policy = StagingPolicy(settings.pan_token_key.get_secret_value().encode(), settings.zone,
                           settings.cutoff_time, settings.time_window)  # fmt: skip
    row = staged_row(parsed, policy, "lock-holder", utc_now(), message_body)
    with row_held_open(database, row):
        yield


def test_poison_message_goes_to_the_dlq_and_the_rest_of_its_batch_is_staged(
    tmp_path: Path, database: str, aws_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The poison: a transaction whose row a stuck transaction keeps locked. Every delivery
    # waits lock_timeout and is reported back (a transient error), so SQS's redrive policy
    # must move it to the DLQ after maxReceiveCount receives, while its batch-mates stage.
    locked_db = database + "&options=-c%20lock_timeout%3D500"
    bodies = [body(i) for i in range(10)]
    poison = json.loads(bodies[4])["transaction_id"]
    started = time.monotonic()
    with real_mode(tmp_path, locked_db, aws_endpoint, max_receive_count="3") as rig:
        sqs = rig.sqs()
        url, dlq = queue_url(sqs, rig.settings.queue_name), queue_url(sqs, rig.settings.dlq_name)
        with row_locked(database, bodies[4]):
            send_bodies(sqs, url, bodies)  # one send_message_batch: one receive takes all ten
            consumer = rig.start_consumer()
            wait_until(lambda: queue_depth(sqs, dlq)[0] == 1, 60, "the poison message in the DLQ")
            dead = sqs.receive_message(
                QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )["Messages"]  # fmt: skip
            staged_beside_it = outcome(database).staged
        in_dlq_s = time.monotonic() - started
        rig.cli("dlq", "redrive")  # the operator's fix once the lock is gone
        wait_until(lambda: outcome(database).staged == 10, 30, "the redriven message staged")
        assert consumer.alive()
        survivors_report([consumer])
        ids = staged_ids(database)
    assert [json.loads(m["Body"])["transaction_id"] for m in dead] == [poison]
    assert staged_beside_it == 9, "the poison's batch-mates must stage while it is stuck"
    assert sorted(ids) == sorted(json.loads(b)["transaction_id"] for b in bodies)
    report(capsys, "poison message", {
        "sent": len(bodies), "staged_beside_poison": staged_beside_it, "dead_lettered": len(dead),
        "poison_receives": dead[0]["Attributes"].get("ApproximateReceiveCount"),
        "staged_after_redrive": len(ids), "lost": 0, "doubled": len(ids) - len(set(ids)),
        "seconds_to_dlq": round(in_dlq_s, 1), "seconds": round(time.monotonic() - started, 1),
    })  # fmt: skip
