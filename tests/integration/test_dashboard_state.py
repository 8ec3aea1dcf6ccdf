"""The live view's state document on both backends: its figures equal what SQL counts in the
database, its reads cannot write, and an end-of-day run's steps show while the run goes on."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from settlement.adapters.live_reads import read_only_engine
from settlement.adapters.queue_depth import QueueDepth, QueueReading
from settlement.adapters.run_progress import progress_path
from settlement.adapters.tables import gateway_batches, rejected_messages, staged_transactions
from settlement.config import Settings
from settlement.dashboard.state import LATENCY_EDGES_MS, SERIES_S, LiveState, Sources, build_state
from settlement.eod.run import RunRequest, run_end_of_day
from tests.support.hand_day import DAY, NOW, eod_database, load_hand_day
from tests.support.staging_builder import insert_staged, migrated_database, staged

CLOCK = datetime(2026, 12, 3, 12, 0, 0)


def sources(engine: Engine, settings: Settings, queue: QueueReading | None = None,
            ticks: list[float] | None = None) -> Sources:  # fmt: skip
    found = queue or QueueReading(QueueDepth(7, 3, 0), QueueDepth(2, 0, 0), None)
    clock = iter(ticks or [0.0] * 100)
    return Sources(
        engine, "db", lambda: found, "moto", settings.reports_dir, lambda: CLOCK,
        lambda: next(clock),
    )  # fmt: skip


def batch(consumer: str, max_batch: int, finished: datetime, staged_n: int, latency_ms: int, *,
          duplicates: int = 0, rejected: int = 0) -> dict[str, Any]:  # fmt: skip
    return {
        "batch_id": str(uuid.uuid4()), "consumer": consumer, "max_batch": max_batch,
        "started_at": finished - timedelta(milliseconds=5), "finished_at": finished,
        "received": staged_n + duplicates + rejected, "staged": staged_n,
        "duplicates": duplicates, "rejected": rejected, "failed": 0,
        "latency_ms_sum": latency_ms * staged_n, "latency_ms_max": latency_ms,
    }  # fmt: skip


def reject(n: int, at: datetime) -> dict[str, Any]:
    body = f"bad {n}"
    return {"message_id": f"m{n}", "transaction_id": None, "received_at": at,
            "reason_code": "bad_json", "detail": "x", "body": body,
            "body_sha256": hashlib.sha256(body.encode()).hexdigest()}  # fmt: skip


@pytest.fixture
def filled(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Settings]]:
    """Two consumers (batch of 10, async), staged rows in and out of the last minute,
    rejects and duplicates."""
    with migrated_database(db_url, tmp_path) as (engine, settings):
        recent = CLOCK - timedelta(seconds=3)
        old = CLOCK - timedelta(hours=2)
        rows = [staged(f"P{i}", "1.00", business_date=DAY, at=old) for i in range(12)]
        for i, row in enumerate(rows):
            row["staged_at"] = recent if i < 5 else old
        insert_staged(engine, rows)
        with engine.begin() as conn:
            conn.execute(insert(gateway_batches), [
                batch("host:1:poller-1", 10, old, 7, 300),
                batch("host:1:poller-1", 10, recent, 3, 30_000, duplicates=2),
                batch("host:2:async", 1, recent, 1, 4),
                batch("host:2:async", 1, recent, 1, 70, rejected=1),
            ])  # fmt: skip
            conn.execute(insert(rejected_messages), [reject(1, recent), reject(2, old)])
        yield engine, settings


def counted(engine: Engine, query: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def test_state_figures_equal_the_database(filled: tuple[Engine, Settings], db_url: str) -> None:
    engine, settings = filled
    reader = read_only_engine(db_url)
    try:
        state = build_state(sources(reader, settings))
    finally:
        reader.dispose()
    assert state["database"]["problem"] is None
    totals = state["totals"]
    assert totals["staged"] == counted(engine, select(func.count(staged_transactions.c[0])))
    assert totals["rejected"] == counted(engine, select(func.count(rejected_messages.c[0])))
    assert totals["duplicates"] == counted(engine, select(func.sum(gateway_batches.c.duplicates)))
    received = counted(engine, select(func.sum(gateway_batches.c.received)))
    assert totals["received"] == received == 15
    assert (totals["in_queue"], totals["in_flight"], totals["dead_lettered"]) == (7, 3, 2)
    assert totals["sent"] == received + 7 + 3 + 2
    by_name = {c["consumer"]: c for c in state["consumers"]}
    assert by_name["host:1:poller-1"] | {"last_batch_at": None} == {
        "consumer": "host:1:poller-1", "mode": "batch", "max_batch": 10, "batches": 2,
        "received": 12, "staged": 10, "duplicates": 2, "rejected": 0, "failed": 0,
        "latency_ms_mean": (7 * 300 + 3 * 30_000) // 10, "latency_ms_max": 30_000,
        "last_batch_at": None,
    }  # fmt: skip
    assert by_name["host:2:async"]["mode"] == "async" and by_name["host:2:async"]["batches"] == 2
    # histogram: buckets by the batch's mean latency, weighted by its staged messages
    assert len(state["latency"]["labels"]) == len(LATENCY_EDGES_MS) + 1
    assert state["latency"]["batch"][4] == 7  # 300 ms: 250-500
    assert state["latency"]["batch"][-1] == 3  # a 30 s mean: the top bucket, >= 30 s
    assert state["latency"]["async"][0] == 1 and state["latency"]["async"][2] == 1
    assert sum(state["latency"]["batch"]) + sum(state["latency"]["async"]) == 12
    # the last minute, per second: 5 staged, 1 rejected, 2 duplicates three seconds ago
    series = state["series"]
    assert len(series["staged"]) == SERIES_S and series["staged"][SERIES_S - 3] == 5
    assert sum(series["rejected"]) == 1 and sum(series["duplicates"]) == 2
    assert state["rates"] == {"staged": 0.5, "rejected": 0.1, "duplicates": 0.2}
    assert state["eod"] is None and state["report"] is None


def test_the_reader_cannot_write(filled: tuple[Engine, Settings], db_url: str) -> None:
    engine, _settings = filled
    reader = read_only_engine(db_url)
    try:
        with pytest.raises(DBAPIError, match="(?i)read-only|readonly"):
            with reader.begin() as conn:
                conn.execute(insert(rejected_messages), [reject(3, CLOCK)])
        with pytest.raises(DBAPIError, match="(?i)read-only|readonly"):
            with reader.begin() as conn:
                conn.execute(text("DELETE FROM staged_transactions"))
    finally:
        reader.dispose()
    assert counted(engine, select(func.count()).select_from(rejected_messages)) == 2
    assert counted(engine, select(func.count()).select_from(staged_transactions)) == 12


def test_reading_changes_no_byte_of_an_sqlite_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cardsettle.db'}"
    with migrated_database(url, tmp_path) as (engine, settings):
        insert_staged(engine, [staged("P1", "1.00", business_date=DAY, at=CLOCK)])
    engine.dispose()  # the last writer gone: SQLite checkpoints and drops the -wal file
    database = tmp_path / "cardsettle.db"
    before = (hashlib.sha256(database.read_bytes()).digest(), database.stat().st_mtime_ns)
    reader = read_only_engine(url)
    try:
        for _ in range(3):
            assert build_state(sources(reader, settings))["totals"]["staged"] == 1
    finally:
        reader.dispose()
    assert (hashlib.sha256(database.read_bytes()).digest(), database.stat().st_mtime_ns) == before
    # A WAL reader needs the shared-memory index (-shm) and an (empty) -wal beside the file,
    # as every writer has them: no page of the database is in them.
    wal = tmp_path / "cardsettle.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0


def test_a_missing_database_is_a_line_on_the_page(tmp_path: Path) -> None:
    settings = Settings(reports_dir=tmp_path / "reports")
    reader = read_only_engine(f"sqlite:///{tmp_path / 'not-yet.db'}")
    state = build_state(sources(reader, settings))
    assert "unable to open" in state["database"]["problem"] and "totals" not in state
    assert not (tmp_path / "not-yet.db").exists()  # mode=ro never creates it


def test_an_unreadable_queue_is_said_and_the_database_still_shown(
    filled: tuple[Engine, Settings], db_url: str
) -> None:
    _engine, settings = filled
    reader = read_only_engine(db_url)
    try:
        down = QueueReading(None, None, "queue q cannot be read: connection refused")
        state = build_state(sources(reader, settings, down))
    finally:
        reader.dispose()
    assert state["queue"]["problem"].endswith("connection refused")
    assert state["totals"]["sent"] is None and state["totals"]["staged"] == 12


def test_the_refresh_is_throttled_to_the_cost_of_its_reads(
    filled: tuple[Engine, Settings], db_url: str
) -> None:
    _engine, settings = filled
    reader = read_only_engine(db_url)
    # monotonic readings: build at 0 taking 2 s (next refresh 8 s later), asked at 5 and 11
    live = LiveState(sources(reader, settings, ticks=[0.0, 2.0, 5.0, 11.0, 11.5]))
    try:
        first = live.current()
        assert live.current() is first  # at 5 s: 3 s after the build, under 4 x 2 s
        assert live.current() is not first  # at 11 s: rebuilt
    finally:
        reader.dispose()


def test_each_end_of_day_step_shows_while_the_run_goes_on(db_url: str, tmp_path: Path) -> None:
    with eod_database(db_url, tmp_path) as (engine, settings):
        load_hand_day(engine, settings)
        reader = read_only_engine(db_url)
        seen: list[tuple[str, list[str]]] = []

        def look(step: str, _conn: Connection) -> None:
            eod = build_state(sources(reader, settings))["eod"]
            seen.append((eod["status"], [s["name"] for s in eod["steps"]]))

        try:
            report = run_end_of_day(engine, settings, RunRequest(DAY, NOW, after_step=look))
            final = build_state(sources(reader, settings))["eod"]
        finally:
            reader.dispose()
        assert report.status == "completed"
        steps = ["reset", "reconcile", "fraud", "fx", "settle", "ledger", "complete"]
        assert seen == [("running", steps[: i + 1]) for i in range(len(steps))]
        assert final["status"] == "completed"
        assert [s["name"] for s in final["steps"]] == steps[:-1]  # stored before "complete"
        assert not progress_path(settings.reports_dir, DAY).exists()


def test_a_crashed_run_leaves_no_progress_file(db_url: str, tmp_path: Path) -> None:
    with eod_database(db_url, tmp_path) as (engine, settings):
        load_hand_day(engine, settings)

        def crash(step: str, _conn: Connection) -> None:
            if step == "fx":
                assert progress_path(settings.reports_dir, DAY).is_file()
                raise RuntimeError("power cut")

        with pytest.raises(RuntimeError, match="power cut"):
            run_end_of_day(engine, settings, RunRequest(DAY, NOW, after_step=crash))
        assert not progress_path(settings.reports_dir, DAY).exists()
        reader = read_only_engine(db_url)
        try:
            eod = build_state(sources(reader, settings))["eod"]
        finally:
            reader.dispose()
        assert eod["status"] == "failed" and "power cut" in eod["message"]
        assert eod["steps"] == []
