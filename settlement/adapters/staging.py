"""Writes staged transactions and rejects: idempotent, one transaction per call.

At-least-once delivery makes duplicates normal, so the transaction id is the guard: a row
that exists with the same content hash is a duplicate (a no-op), with another content a
conflict (the first version stays, the newcomer goes to `rejected_messages`). Bulk inserts
use executemany on SQLite (the write lock is taken at BEGIN, so the existence check cannot
race) and COPY into a temp table + INSERT .. ON CONFLICT DO NOTHING on PostgreSQL, where
concurrent consumers can race and the RETURNING list says who won.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from settlement.adapters.tables import rejected_messages, staged_transactions
from settlement.domain.cards import mask_pans

_LOOKUP_CHUNK = 500
STAGED_COLUMNS = tuple(column.name for column in staged_transactions.columns)
_DATETIME_INDEXES = tuple(
    index
    for index, column in enumerate(staged_transactions.columns)
    if isinstance(column.type, DateTime)
)
_DATE_INDEXES = tuple(
    index
    for index, column in enumerate(staged_transactions.columns)
    if isinstance(column.type, Date)
)


@dataclass(frozen=True, slots=True)
class StagedRow:
    """One row for `staged_transactions`, and the message it came from.

    `body` is the raw message, PAN included: it lives only in memory and is masked before
    it is written anywhere (a conflict's reject row).
    """

    values: dict[str, Any]
    body: str = field(default="", repr=False)

    @property
    def transaction_id(self) -> str:
        return str(self.values["transaction_id"])

    @property
    def content_hash(self) -> str:
        return str(self.values["content_hash"])

    @property
    def message_id(self) -> str:
        return str(self.values["message_id"])


@dataclass(frozen=True, slots=True)
class RejectRow:
    message_id: str
    transaction_id: str | None
    reason_code: str
    detail: str
    body: str  # already PAN-masked
    body_sha256: str  # of the body as received, the idempotency key of a reject


@dataclass(slots=True)
class StageOutcome:
    staged: list[str] = field(default_factory=list)  # message ids
    duplicates: list[str] = field(default_factory=list)
    conflicts: list[RejectRow] = field(default_factory=list)


class StagingRepository:
    """All writes of the gateway go through here."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def stage(
        self, rows: Sequence[StagedRow], rejects: Sequence[RejectRow], received_at: Any
    ) -> StageOutcome:
        """Stage `rows` and record `rejects` atomically; returns what happened to each row."""
        with self.engine.begin() as conn:
            outcome = _stage_rows(conn, rows)
            _insert_rejects(conn, [*rejects, *outcome.conflicts], received_at)
        return outcome


def body_digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8", "surrogateescape")).hexdigest()


def _stage_rows(conn: Connection, rows: Sequence[StagedRow]) -> StageOutcome:
    """Stage each transaction once. A repeat (in the table already, raced in by another
    consumer, or a batch-mate) is a duplicate when its content equals the version kept, and a
    conflict otherwise: always compared with what is kept, never with what was merely seen."""
    outcome = StageOutcome()
    first_seen: dict[str, StagedRow] = {}
    repeats: list[StagedRow] = []
    for row in rows:
        if row.transaction_id in first_seen:
            repeats.append(row)
        else:
            first_seen[row.transaction_id] = row
    kept = _existing_hashes(conn, first_seen)
    fresh = [row for transaction_id, row in first_seen.items() if transaction_id not in kept]
    for transaction_id, digest in kept.items():
        _classify_repeat(outcome, first_seen[transaction_id], digest)
    won = _insert_fresh(conn, fresh)
    raced = _existing_hashes(
        conn, {r.transaction_id: r for r in fresh if r.transaction_id not in won}
    )
    for row in fresh:
        if row.transaction_id in won:
            outcome.staged.append(row.message_id)
            kept[row.transaction_id] = row.content_hash
        else:
            _classify_repeat(outcome, row, raced[row.transaction_id])
            kept[row.transaction_id] = raced[row.transaction_id]
    for row in repeats:
        _classify_repeat(outcome, row, kept[row.transaction_id])
    return outcome


def _classify_repeat(outcome: StageOutcome, row: StagedRow, kept_hash: str) -> None:
    if row.content_hash == kept_hash:
        outcome.duplicates.append(row.message_id)
        return
    detail = f"transaction {row.transaction_id} already staged with different content"
    outcome.conflicts.append(
        RejectRow(
            row.message_id,
            row.transaction_id,
            "conflict",
            detail,
            mask_pans(row.body),
            body_digest(row.body),
        )  # fmt: skip
    )


def _existing_hashes(conn: Connection, rows: dict[str, StagedRow]) -> dict[str, str]:
    ids = list(rows)
    found: dict[str, str] = {}
    table = staged_transactions
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        chunk = ids[start : start + _LOOKUP_CHUNK]
        query = select(table.c.transaction_id, table.c.content_hash).where(
            table.c.transaction_id.in_(chunk)
        )
        found.update({tid: digest for tid, digest in conn.execute(query)})
    return found


def _insert_fresh(conn: Connection, rows: list[StagedRow]) -> set[str]:
    """Insert rows not seen before; returns the ids this transaction actually inserted."""
    if not rows:
        return set()
    if conn.dialect.name == "postgresql":
        return _copy_insert_postgres(conn, rows)
    # The DBAPI directly: SQLAlchemy's per-row parameter processing costs more than the insert.
    marks = ", ".join("?" for _ in STAGED_COLUMNS)
    sql = f"INSERT INTO staged_transactions ({', '.join(STAGED_COLUMNS)}) VALUES ({marks})"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.executemany(sql, [_sqlite_values(row.values) for row in rows])
    return {row.transaction_id for row in rows}


def _sqlite_values(values: dict[str, Any]) -> list[Any]:
    """Column values in SQLAlchemy's SQLite storage format (ISO text, microseconds always)."""
    row = [values[name] for name in STAGED_COLUMNS]
    for index in _DATETIME_INDEXES:
        row[index] = row[index].isoformat(sep=" ", timespec="microseconds")
    for index in _DATE_INDEXES:
        row[index] = row[index].isoformat()
    return row


def _copy_insert_postgres(conn: Connection, rows: list[StagedRow]) -> set[str]:
    columns = ", ".join(STAGED_COLUMNS)
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS staging_load "
        "(LIKE staged_transactions INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY staging_load ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row.values[name] for name in STAGED_COLUMNS])
    inserted = conn.exec_driver_sql(
        f"INSERT INTO staged_transactions ({columns}) SELECT {columns} FROM staging_load "
        "ON CONFLICT (transaction_id) DO NOTHING RETURNING transaction_id"
    )
    won = {str(tid) for (tid,) in inserted}
    return won


def _insert_rejects(conn: Connection, rejects: Iterable[RejectRow], received_at: Any) -> None:
    values = [
        {
            "message_id": reject.message_id,
            "transaction_id": reject.transaction_id,
            "received_at": received_at,
            "reason_code": reject.reason_code,
            "detail": reject.detail,
            "body": reject.body,
            "body_sha256": reject.body_sha256,
        }
        for reject in rejects
    ]
    if not values:
        return
    builder = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = builder(rejected_messages).on_conflict_do_nothing(
        index_elements=["body_sha256", "reason_code"]
    )
    conn.execute(statement, values)
