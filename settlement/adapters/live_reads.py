"""What the live view reads from the database, through a connection that cannot write.

SQLite is opened with `mode=ro` (a URI filename) and `PRAGMA query_only`; PostgreSQL
sessions start with `default_transaction_read_only=on`, so every statement runs in a
read-only transaction and the server refuses any write. A fresh SQLite connection per read
(NullPool): the demo deletes and recreates its file, and a pooled connection would go on
reading the deleted one.

Every query here is an aggregate over an index where one exists (`gateway_batches` by
`finished_at`, `rejected_messages` by `received_at`); `staged_transactions` has no index on
`staged_at`, so its per-second counts scan the table: the view's refresh is throttled to the
cost of its reads (settlement/dashboard/state.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, case, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from settlement.adapters.database import require_current_schema, require_file
from settlement.adapters.eod_tables import eod_runs
from settlement.adapters.tables import gateway_batches, rejected_messages, staged_transactions

_PG_STATEMENT_TIMEOUT_MS = 5_000  # a view that waits longer is no longer live


def read_only_engine(url: str) -> Engine:
    """An engine on `url` whose every connection refuses to write."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_read_only(str(parsed.database or ""))
    engine = create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2)
    event.listen(engine, "connect", _postgres_read_only)
    return engine


def _sqlite_read_only(path: str) -> Engine:
    if path in ("", ":memory:"):
        raise ValueError("the live view reads a database file, not an in-memory database")

    def connect() -> sqlite3.Connection:
        # The file name as a URI: `mode=ro` refuses writes and never creates the file.
        name = path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
        conn = sqlite3.connect(f"file:{name}?mode=ro", uri=True, check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("PRAGMA busy_timeout = 2000")
        return conn

    # The URL names the file (for messages); the connections come from `connect` alone.
    return create_engine(f"sqlite:///{path}", creator=connect, poolclass=NullPool)


def _postgres_read_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    cursor.execute(f"SET statement_timeout = {_PG_STATEMENT_TIMEOUT_MS}")
    cursor.close()
    dbapi_connection.commit()


def require_readable(url: str, engine: Engine) -> None:
    """The database exists and holds this code's schema (DatabaseNotReady or
    DatabaseUnreachable otherwise, each one line); checked once, at start."""
    require_file(url)
    require_current_schema(engine)


@dataclass(frozen=True, slots=True)
class ConsumerRow:
    consumer: str
    max_batch: int
    batches: int
    received: int
    staged: int
    duplicates: int
    rejected: int
    failed: int
    latency_ms_sum: int
    latency_ms_max: int
    last_finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class EodRunRow:
    business_date: date
    run_id: str
    status: str
    attempt: int
    started_at: datetime
    finished_at: datetime | None
    timings_s: dict[str, float]
    message: str | None


@dataclass(frozen=True, slots=True)
class DatabaseReads:
    staged: int
    rejected: int
    duplicates: int
    received: int
    consumers: list[ConsumerRow]
    # {"batch"|"async": staged messages in each latency bucket}, see `latency_buckets`
    latency: dict[str, list[int]]
    staged_times: list[tuple[datetime, int]]  # (staged_at, rows) since the window opened
    rejected_times: list[tuple[datetime, int]]
    duplicate_times: list[tuple[datetime, int]]
    eod: EodRunRow | None


@dataclass(frozen=True, slots=True)
class ReadFailure:
    reason: str  # one line: the database is not there yet, locked, or not cardsettle's


def try_read_figures(
    engine: Engine, since: datetime, edges_ms: Sequence[int]
) -> DatabaseReads | ReadFailure:
    """`read_figures`, with a database error as a one-line `ReadFailure` (the view says so
    and keeps polling: the demo creates its database after the view starts)."""
    try:
        return read_figures(engine, since, edges_ms)
    except (DBAPIError, sqlite3.Error) as error:
        text = str(getattr(error, "orig", None) or error).strip()
        return ReadFailure(text.splitlines()[0] if text else type(error).__name__)


def read_figures(engine: Engine, since: datetime, edges_ms: Sequence[int]) -> DatabaseReads:
    """Everything the view shows from the database; the per-second series from `since`
    (naive UTC) on, the latency histogram on the bucket edges `edges_ms`."""
    with engine.connect() as conn:
        staged = conn.execute(select(func.count()).select_from(staged_transactions))
        rejected = conn.execute(select(func.count()).select_from(rejected_messages))
        consumers = _consumers(conn)
        return DatabaseReads(
            staged=int(staged.scalar_one()),
            rejected=int(rejected.scalar_one()),
            duplicates=sum(row.duplicates for row in consumers),
            received=sum(row.received for row in consumers),
            consumers=consumers,
            latency=latency_buckets(conn, edges_ms),
            staged_times=_counts_since(conn, staged_transactions.c.staged_at, since),
            rejected_times=_counts_since(conn, rejected_messages.c.received_at, since),
            duplicate_times=_duplicates_since(conn, since),
            eod=_latest_run(conn),
        )


def _consumers(conn: Any) -> list[ConsumerRow]:
    b = gateway_batches.c
    query = (
        select(
            b.consumer, func.max(b.max_batch), func.count(), func.sum(b.received),
            func.sum(b.staged), func.sum(b.duplicates), func.sum(b.rejected), func.sum(b.failed),
            func.sum(b.latency_ms_sum), func.max(b.latency_ms_max), func.max(b.finished_at),
        )
        .group_by(b.consumer)
        .order_by(b.consumer)
    )  # fmt: skip
    rows = []
    for name, *numbers, last in conn.execute(query):
        n = [int(value or 0) for value in numbers]
        rows.append(ConsumerRow(
            consumer=str(name), max_batch=n[0], batches=n[1], received=n[2], staged=n[3],
            duplicates=n[4], rejected=n[5], failed=n[6], latency_ms_sum=n[7],
            latency_ms_max=n[8], last_finished_at=last,
        ))  # fmt: skip
    return rows


def latency_buckets(conn: Any, edges_ms: Sequence[int]) -> dict[str, list[int]]:
    """Staged messages by their batch's mean latency (staged_at - sent_at), batch
    (`max_batch` > 1) apart from async (1): exact for async, where a batch is one message.
    Bucket i holds means below edges_ms[i]; the last, those at or above the last edge. The
    mean is compared as `sum < edge * staged`, so no division and no float."""
    b = gateway_batches.c
    bucket = case(
        *((b.latency_ms_sum < edge * b.staged, index) for index, edge in enumerate(edges_ms)),
        else_=len(edges_ms),
    )
    mode = case((b.max_batch > 1, "batch"), else_="async")
    query = select(mode, bucket, func.sum(b.staged)).where(b.staged > 0).group_by(mode, bucket)
    found = {name: [0] * (len(edges_ms) + 1) for name in ("batch", "async")}
    for name, index, staged in conn.execute(query):
        found[str(name)][int(index)] = int(staged)
    return found


def _counts_since(conn: Any, column: Any, since: datetime) -> list[tuple[datetime, int]]:
    """(time, rows) grouped on the exact timestamp: a batch stamps its rows alike, so the
    groups are about one a batch, and the per-second binning is the caller's."""
    query = select(column, func.count()).where(column >= since).group_by(column)
    return [(when, int(n)) for when, n in conn.execute(query)]


def _duplicates_since(conn: Any, since: datetime) -> list[tuple[datetime, int]]:
    b = gateway_batches.c
    query = select(b.finished_at, b.duplicates).where(b.finished_at >= since, b.duplicates > 0)
    return [(when, int(n)) for when, n in conn.execute(query)]


def _latest_run(conn: Any) -> EodRunRow | None:
    r = eod_runs.c
    row = conn.execute(select(eod_runs).order_by(r.started_at.desc()).limit(1)).first()
    if row is None:
        return None
    return EodRunRow(
        row.business_date, row.run_id, str(row.status), int(row.attempt), row.started_at,
        row.finished_at, _timings(row.timings_json), row.message,
    )  # fmt: skip


def _timings(text: str | None) -> dict[str, float]:
    try:
        found = json.loads(text) if text else {}
    except ValueError:
        return {}
    return {str(k): float(v) for k, v in found.items()} if isinstance(found, dict) else {}
