"""Real mode on one machine, driven by a test: OS processes, a moto server, PostgreSQL.

Everything a process gets is environment, as in real mode: `RealMode.env` is the whole
configuration, handed to every `python -m settlement ...` child and to this process's own
SQS client, so the test and the consumers cannot disagree about queues or timeouts.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from sqlalchemy import create_engine, func, select

from settlement.adapters.aws import queue_url
from settlement.adapters.sqs_events import SEND_BATCH_MAX, send_bodies
from settlement.adapters.staging import body_digest
from settlement.adapters.tables import rejected_messages, staged_transactions
from settlement.config import Settings, load_settings
from tests.support.messages import TEST_PANS, body
from tests.support.pan_scan import PanScanner, pans_in, pans_in_database

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

_REPORT = re.compile(r"received\s+(\d+),\s+staged\s+(\d+),\s+duplicates\s+(\d+)")


@dataclass
class Consumer:
    """One `settlement gateway consume` process and its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    started_at: float = field(default_factory=time.monotonic)

    @property
    def age_s(self) -> float:
        return time.monotonic() - self.started_at

    def alive(self) -> bool:
        return self.process.poll() is None

    def consuming(self) -> bool:
        """Past its imports and connected: a database socket and an SQS socket are open.

        Its `consuming ...` start line comes once the queue and the database are reached,
        but sockets are the surer sign; under load its start takes seconds, and a kill
        before this point would test nothing but process start-up.
        """
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{self.process.pid}/fd").iterdir()]
        except OSError:  # exited meanwhile, or no /proc
            return False
        return sum(link.startswith("socket:") for link in links) >= 2

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> tuple[int, int, int] | None:
        """SIGTERM, wait for a clean exit, and return its (received, staged, duplicates).

        Only once it says `consuming ...`: it prints that after installing its SIGTERM
        handler, and a consumer still importing (a replacement started just before, on a
        loaded machine) dies of the signal with nothing to report (exit -15, empty log)."""
        wait_until(lambda: "consuming " in self.log.read_text(errors="replace"), 60,
                   f"{self.name} to start consuming")  # fmt: skip
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        assert code == 0, f"{self.name} exited {code}:\n{self.log.read_text()[-3000:]}"
        found = _REPORT.search(self.log.read_text())
        return (int(found[1]), int(found[2]), int(found[3])) if found else None


@dataclass
class RealMode:
    workdir: Path
    env: dict[str, str]
    consumers: list[Consumer] = field(default_factory=list)
    started: int = 0
    outputs: list[tuple[str, str]] = field(default_factory=list)  # (command, stdout+stderr)
    sent: set[str] = field(default_factory=lambda: set(TEST_PANS))  # PANs the test sent

    @property
    def settings(self) -> Settings:
        return load_settings(
            database_url=self.env["CARDSETTLE_DATABASE_URL"],
            aws_endpoint_url=self.env["CARDSETTLE_AWS_ENDPOINT_URL"],
            max_receive_count=int(self.env["CARDSETTLE_MAX_RECEIVE_COUNT"]),
            visibility_timeout_s=int(self.env["CARDSETTLE_VISIBILITY_TIMEOUT_S"]),
        )

    def cli(self, *args: str, timeout_s: float = 60) -> str:
        """Run one `settlement` command to completion; returns its output."""
        done = subprocess.run(
            [sys.executable, "-m", "settlement", *args], env=self.env, cwd=self.workdir,
            capture_output=True, text=True, timeout=timeout_s, check=False,
        )  # fmt: skip
        self.outputs.append((" ".join(args), done.stdout + done.stderr))
        assert done.returncode == 0, f"settlement {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    def start_consumer(self, *extra: str) -> Consumer:
        self.started += 1
        name = f"consumer-{self.started}"
        log = self.workdir / f"{name}.log"
        argv = [sys.executable, "-m", "settlement", "gateway", "consume", "--batch-size", "10",
                "--wait-seconds", "1", *extra]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(
                argv, env=self.env, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT
            )
        consumer = Consumer(name, process, log)
        self.consumers.append(consumer)
        return consumer

    def shutdown(self) -> None:
        for consumer in self.consumers:
            if consumer.alive():
                consumer.kill()

    def logs(self) -> str:
        return "".join(c.log.read_text(errors="replace") for c in self.consumers)

    def sqs(self) -> SQSClient:
        """A client of this process, with the same endpoint and credentials as the children."""
        return boto3.client(
            "sqs",
            endpoint_url=self.env["CARDSETTLE_AWS_ENDPOINT_URL"],
            region_name=self.env["CARDSETTLE_AWS_REGION"],
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
        )


@contextmanager
def real_mode(
    workdir: Path, database_url: str, endpoint: str, **settings: str
) -> Iterator[RealMode]:
    """Migrate the database and create the queues through the CLI; kill leftovers after."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CARDSETTLE_")},
        "CARDSETTLE_DATABASE_URL": database_url,
        "CARDSETTLE_AWS_ENDPOINT_URL": endpoint,
        "CARDSETTLE_AWS_REGION": "eu-west-1",
        "CARDSETTLE_MAX_RECEIVE_COUNT": "10",
        "CARDSETTLE_VISIBILITY_TIMEOUT_S": "4",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "COLUMNS": "200",  # rich wraps the consumers' summary line at 80 otherwise
        **{"CARDSETTLE_" + k.upper(): v for k, v in settings.items()},
    }
    rig = RealMode(workdir, env)
    rig.cli("db", "upgrade")
    rig.cli("queues", "create")
    try:
        yield rig
        rig.shutdown()
        assert_no_pan_left(rig)  # only after a clean run: never hides the test's own failure
    finally:
        rig.shutdown()


def assert_no_pan_left(rig: RealMode) -> None:
    """The PANs the test sent, in any spelling, in nothing the rig leaves: every text column
    of the database, both queues, the commands' output, the consumers' logs and the files
    in the work directory (the autouse sweep looks at those again, after the test)."""
    scanner = PanScanner(rig.sent)
    scanner.database(rig.env["CARDSETTLE_DATABASE_URL"])
    sqs = rig.sqs()
    for name in (rig.settings.queue_name, rig.settings.dlq_name):
        scanner.queue(sqs, queue_url(sqs, name), name)
    for command, output in rig.outputs:
        scanner.text(f"output of settlement {command}", output)
    scanner.tree(rig.workdir)
    scanner.assert_clean()


@dataclass(frozen=True)
class Traffic:
    """What the terminals transmit, and what must come out of it."""

    bodies: list[str]
    valid_ids: frozenset[str]
    malformed: frozenset[str]
    duplicates_sent: int


def _malformed(index: int) -> str:
    kinds = (
        lambda: f'{{"schema": "cardsettle.pos.v1", "pan": "4111111111111111", broken {index}',
        lambda: body(index, currency="ZZZ"),
        lambda: body(index, amount="1.001"),
        lambda: body(index, pan="4111111111111121"),
        lambda: body(index, merchant_id=None),
    )
    return kinds[index % len(kinds)]()


def mixed_traffic(count: int, malformed_every: int = 20, duplicate_every: int = 10) -> Traffic:
    """`count` transmissions: mostly good, some malformed, some retransmitted."""
    bodies: list[str] = []
    valid, malformed, duplicates = set(), set(), 0
    for index in range(count):
        if index % malformed_every == malformed_every - 1:
            bodies.append(_malformed(index))
            malformed.add(bodies[-1])
        elif index % duplicate_every == duplicate_every - 1 and len(bodies) > 5:
            bodies.append(bodies[-5])  # a terminal retransmitting: same body, same id
            duplicates += 1
        else:
            bodies.append(body(index))
            valid.add(f"tx-{index:08d}")
    return Traffic(bodies, frozenset(valid), frozenset(malformed), duplicates)


class Sender(threading.Thread):
    """Transmits traffic 10 per `send_message_batch` at `rate_msg_s`, like a terminal fleet,
    until `finish()` or the bodies run out; `traffic()` is then what was actually sent.

    It holds back while `max_queued` messages wait: moto's SQS scans the whole queue on
    every call, so a deep queue would slow every consumer down.
    """

    def __init__(
        self, sqs: SQSClient, url: str, rate_msg_s: float, limit: int = 5_000,
        max_queued: int = 60,
    ) -> None:  # fmt: skip
        super().__init__(name="sender", daemon=True)
        self.sqs, self.url, self.rate, self.max_queued = sqs, url, rate_msg_s, max_queued
        self.bodies = mixed_traffic(limit).bodies
        self.sent = 0
        self.error: BaseException | None = None
        self._finish = threading.Event()

    def run(self) -> None:
        next_at = time.monotonic()
        try:
            for start in range(0, len(self.bodies), SEND_BATCH_MAX):
                if self._finish.wait(max(0.0, next_at - time.monotonic())):
                    return
                while sum(queue_depth(self.sqs, self.url)) > self.max_queued:
                    time.sleep(0.1)
                chunk = self.bodies[start : start + SEND_BATCH_MAX]
                self.sent += send_bodies(self.sqs, self.url, chunk)
                next_at = max(next_at, time.monotonic() - 1.0) + len(chunk) / self.rate
        except BaseException as error:  # reported by the test, never lost in the thread
            self.error = error

    def finish(self) -> Traffic:
        """Stop sending; returns the traffic that went out."""
        assert self.is_alive(), "the traffic ran out before the faults were over"
        self._finish.set()
        self.join()
        assert self.error is None, f"sending failed: {self.error!r}"
        return mixed_traffic(self.sent)


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Poll `condition` until true; returns the seconds it took or fails naming `what`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.25)
    return time.monotonic() - started


def queue_depth(sqs: SQSClient, url: str) -> tuple[int, int]:
    """(visible, in flight) messages."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


@dataclass(frozen=True)
class Outcome:
    staged: int
    distinct_staged: int
    rejected: int

    @property
    def settled(self) -> int:
        return self.staged + self.rejected


def outcome(database_url: str) -> Outcome:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            staged = conn.execute(select(func.count()).select_from(staged_transactions))
            distinct = conn.execute(
                select(func.count(staged_transactions.c.transaction_id.distinct()))
            )
            rejected = conn.execute(select(func.count()).select_from(rejected_messages))
            return Outcome(int(staged.scalar_one()), int(distinct.scalar_one()),
                           int(rejected.scalar_one()))  # fmt: skip
    finally:
        engine.dispose()


def drained(rig: RealMode, traffic: Traffic) -> Callable[[], bool]:
    """True once every expected row exists and nothing is left on the queue."""
    sqs = rig.sqs()
    url = queue_url(sqs, rig.settings.queue_name)
    expected = len(traffic.valid_ids) + len(traffic.malformed)

    def check() -> bool:
        return outcome(rig.env["CARDSETTLE_DATABASE_URL"]).settled >= expected and queue_depth(
            sqs, url
        ) == (0, 0)

    return check


def assert_exactly_once(rig: RealMode, traffic: Traffic) -> dict[str, int]:
    """Every well-formed transaction staged once, every malformed body rejected once, no PAN."""
    url = rig.env["CARDSETTLE_DATABASE_URL"]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ids = [tid for (tid,) in conn.execute(select(staged_transactions.c.transaction_id))]
            rejects = conn.execute(
                select(rejected_messages.c.body_sha256, rejected_messages.c.reason_code,
                       rejected_messages.c.detail)
            ).all()  # fmt: skip
    finally:
        engine.dispose()
    doubled = len(ids) - len(set(ids))
    lost = len(traffic.valid_ids - set(ids))
    assert (lost, doubled) == (0, 0), f"lost {lost}, doubled {doubled}"
    assert set(ids) == traffic.valid_ids
    assert sorted(digest for digest, _, _ in rejects) == sorted(
        body_digest(text) for text in traffic.malformed
    )
    assert all(reason and reason != "conflict" and detail for _, reason, detail in rejects)
    sqs = rig.sqs()
    assert queue_depth(sqs, queue_url(sqs, rig.settings.queue_name)) == (0, 0)
    assert queue_depth(sqs, queue_url(sqs, rig.settings.dlq_name)) == (0, 0)
    stored = pans_in_database(url)  # hex digest columns are skipped by the scan itself
    assert stored == [], f"PAN stored: {stored[:5]}"
    logged = pans_in(rig.logs())
    assert logged == [], f"PAN logged: {logged[:5]}"
    return {"staged": len(ids), "rejected": len(rejects), "lost": lost, "doubled": doubled}


def survivors_report(consumers: Sequence[Consumer]) -> tuple[int, int, int]:
    """Stop the live consumers cleanly and add up what they say they did."""
    totals = [0, 0, 0]
    for consumer in consumers:
        if consumer.alive():
            report = consumer.stop()
            assert report is not None, f"{consumer.name} printed no summary"
            totals = [a + b for a, b in zip(totals, report, strict=True)]
    return totals[0], totals[1], totals[2]
