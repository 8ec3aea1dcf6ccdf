"""Writes staged transactions and rejects: idempotent, one transaction per call.

At-least-once delivery makes duplicates normal, so the transaction id is the guard: a row
that exists with the same content hash is a duplicate (a no-op), with another content a
conflict (the first version stays, the newcomer goes to `rejected_messages`). Bulk inserts
use executemany on SQLite (the write lock is taken at BEGIN, so the existence check cannot
race). On PostgreSQL a batch is first COPied straight into the table inside a savepoint,
betting that none of its ids is staged yet: that costs what a raw COPY costs (the lookup
alone was half the time). If the primary key refuses it (a redelivery, or a concurrent
consumer that won the race), the savepoint is rolled back and the batch takes the careful
path: look up what is kept, COPY the rest into a temp table, INSERT .. ON CONFLICT DO
NOTHING, and the RETURNING list says who won.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Date, DateTime, Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from settlement.adapters.tables import gateway_batches, rejected_messages, staged_transactions
from settlement.domain.message_body import masked_body

_LOOKUP_CHUNK = 500
_UNIQUE_VIOLATION = "23505"  # SQLSTATE
STAGED_COLUMNS = tuple(column.name for column in staged_transactions.columns)
# COPY in binary format: psycopg formats a staged row for text COPY in 13.6 us, for binary
# in 1.2 us, and the server, spared parsing six timestamps, spends 15.5 us a row, not 19.8
# (measured). Binary data carries no types: each value is dumped as its column's type.
_POSTGRES = PGDialect()  # type: ignore[no-untyped-call]
STAGED_COPY_TYPES = tuple(
    column.type.compile(dialect=_POSTGRES).split("(")[0].lower()
    for column in staged_transactions.columns
)
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


_COLUMN_INDEX = {name: index for index, name in enumerate(STAGED_COLUMNS)}
_TRANSACTION_ID = _COLUMN_INDEX["transaction_id"]
_CONTENT_HASH = _COLUMN_INDEX["content_hash"]
_MESSAGE_ID = _COLUMN_INDEX["message_id"]
_RECEIVED_AT = _COLUMN_INDEX["received_at"]
_SENT_AT = _COLUMN_INDEX["sent_at"]
_STAGED_AT = _COLUMN_INDEX["staged_at"]
_REPEATED_TIME_INDEXES = tuple(index for index in _DATETIME_INDEXES if index != _SENT_AT)


@dataclass(slots=True)
class StagedRow:
    """One row for `staged_transactions`, and the message it came from.

    `columns` holds the values in `STAGED_COLUMNS` order, as COPY and executemany take
    them: the gateway builds one per message, so no per-row dict on the hot path.
    `body` is the raw message, PAN included: it lives only in memory and is masked before
    it is written anywhere (a conflict's reject row). Built in one place,
    `gateway.records.staged_row`, whose column order is checked against the table at import.
    """

    columns: list[Any]
    body: str = field(default="", repr=False)

    @property
    def transaction_id(self) -> str:
        return str(self.columns[_TRANSACTION_ID])

    @property
    def content_hash(self) -> str:
        return str(self.columns[_CONTENT_HASH])

    @property
    def message_id(self) -> str:
        return str(self.columns[_MESSAGE_ID])

    @property
    def received_at(self) -> Any:
        return self.columns[_RECEIVED_AT]

    @property
    def sent_at(self) -> Any:
        return self.columns[_SENT_AT]

    @property
    def staged_at(self) -> Any:
        return self.columns[_STAGED_AT]

    @property
    def values(self) -> dict[str, Any]:
        """The row by column name (for inserts through SQLAlchemy and for reading)."""
        return dict(zip(STAGED_COLUMNS, self.columns, strict=True))

    def stamp_staged_at(self, when: Any) -> None:
        self.columns[_STAGED_AT] = when


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


class BatchRecord(NamedTuple):  # a tuple: one a batch, in the columns' order
    """One `gateway_batches` row: what became of one handled batch, latencies in whole ms."""

    batch_id: str
    consumer: str
    max_batch: int
    started_at: datetime
    finished_at: datetime
    received: int
    staged: int
    duplicates: int
    rejected: int
    failed: int
    latency_ms_sum: int
    latency_ms_max: int


# What the gateway makes of a batch's outcome, inside the batch's transaction: its record.
BatchRecorder = Callable[[StageOutcome], BatchRecord]


class StagingRepository:
    """All writes of the gateway go through here."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def stage(
        self,
        rows: Sequence[StagedRow],
        rejects: Sequence[RejectRow],
        received_at: Any,
        record: BatchRecorder | None = None,
    ) -> StageOutcome:
        """Stage `rows` and record `rejects` atomically; returns what happened to each row.
        `record`, when given, makes the batch's `gateway_batches` row from the outcome, and
        that row commits with them (one INSERT): a count never outlives its rows."""
        with self.engine.begin() as conn:
            outcome = _stage_rows(conn, rows)
            _insert_rejects(conn, [*rejects, *outcome.conflicts], received_at)
            if record is not None:
                _insert_batch(conn, record(outcome))
        return outcome

    def record_batch(self, batch: BatchRecord) -> None:
        """The record of a batch staged message by message (its rows already committed)."""
        with self.engine.begin() as conn:
            _insert_batch(conn, batch)


def body_digest(body: str) -> str:
    """SHA-256 of the body as received. surrogateescape keeps the digest of a body decoded
    that way what it always was; a lone surrogate outside its range (U+D800..U+DC7F, which
    only a capture file can carry) is digested as its surrogatepass bytes instead of raising."""
    try:
        raw = body.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = body.encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()


def storable(text: str) -> str:
    """`text` as both databases can keep it: PostgreSQL refuses NUL in text and neither
    driver encodes a lone surrogate, so those become their escapes (\\x00, \\ud800). A
    reject keeps what arrived, and what arrived must never make its own reject unstorable."""
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _stage_rows(conn: Connection, rows: Sequence[StagedRow]) -> StageOutcome:
    """Stage each transaction once. A repeat (in the table already, raced in by another
    consumer, or a batch-mate) is a duplicate when its content equals the version kept, and a
    conflict otherwise: always compared with what is kept, never with what was merely seen."""
    outcome = StageOutcome()
    first_seen, repeats = _split_repeats(rows)
    if _copy_if_all_new(conn, list(first_seen.values())):  # every first-seen row is ours
        outcome.staged = [row.message_id for row in first_seen.values()]
        for row in repeats:
            _classify_repeat(outcome, row, first_seen[row.transaction_id].content_hash)
        return outcome
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


def _split_repeats(rows: Sequence[StagedRow]) -> tuple[dict[str, StagedRow], list[StagedRow]]:
    """The first row of each transaction id, and the batch-mates that repeat one."""
    first_seen: dict[str, StagedRow] = {}
    repeats: list[StagedRow] = []
    for row in rows:
        if row.transaction_id in first_seen:
            repeats.append(row)
        else:
            first_seen[row.transaction_id] = row
    return first_seen, repeats


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
            masked_body(row.body),
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
    texts = _SqliteTexts()
    with _driver_errors(conn, "INSERT INTO staged_transactions"):
        cursor.executemany(sql, [texts.row(row.columns) for row in rows])
    return {row.transaction_id for row in rows}


@contextmanager
def _driver_errors(conn: Connection, statement: str) -> Iterator[None]:
    """Raise the driver's errors as SQLAlchemy would, for the code that talks to the driver
    directly: the gateway tells a transient error (database locked, lock timeout, connection
    lost: OperationalError, redelivered) from a row the database refuses only that way."""
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except dbapi_error as error:
        raise DBAPIError.instance(
            statement, None, error, dbapi_error, dialect=conn.dialect
        ) from error


class _SqliteTexts:
    """A batch's column values in SQLAlchemy's SQLite storage format (ISO text, microseconds
    always), each distinct time and date of the batch formatted once.

    Why: `isoformat` costs ~1.1 us, and a row has five times and a date. A batch's receive
    and staging times are one each, its business dates a few, and its local times (and UTC
    times with them) repeat: 2,979 distinct in 10,000 generated messages. A message's
    `sent_at` (milliseconds) is its own, so it is formatted each time. The times are naive,
    as staged rows keep them (UTC, or the terminal's wall clock): two aware times of one
    instant in two zones are equal keys, so a row of aware times would take another's text."""

    __slots__ = ("_dates", "_times")

    def __init__(self) -> None:
        self._times: dict[datetime, str] = {}
        self._dates: dict[date, str] = {}

    def row(self, columns: list[Any]) -> list[Any]:
        row, times, dates = columns.copy(), self._times, self._dates
        for index in _REPEATED_TIME_INDEXES:
            value = row[index]
            text = times.get(value)
            if text is None:
                text = times[value] = value.isoformat(" ", "microseconds")
            row[index] = text
        row[_SENT_AT] = row[_SENT_AT].isoformat(" ", "microseconds")
        for index in _DATE_INDEXES:
            value = row[index]
            text = dates.get(value)
            if text is None:
                text = dates[value] = value.isoformat()
            row[index] = text
        return row


def _copy_if_all_new(conn: Connection, rows: list[StagedRow]) -> bool:
    """PostgreSQL fast path: COPY the batch straight into the table, as a raw bulk load
    would, betting that none of its ids is staged yet (true of nearly every batch). If one
    is (kept before, or raced in by another consumer, whose commit the COPY waits for), the
    primary key refuses the COPY, the savepoint undoes it, and False sends the batch down
    the careful path: look up what is kept, insert the rest with ON CONFLICT DO NOTHING."""
    if conn.dialect.name != "postgresql" or not rows:
        return False
    dbapi_error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with _driver_errors(conn, "COPY staged_transactions"):
        cursor.execute("SAVEPOINT staging_copy")
        try:
            _copy_rows(cursor, "staged_transactions", rows)
        except dbapi_error as error:
            if getattr(error, "sqlstate", None) != _UNIQUE_VIOLATION:
                raise
            cursor.execute("ROLLBACK TO SAVEPOINT staging_copy")
            return False
        cursor.execute("RELEASE SAVEPOINT staging_copy")
    return True


def _copy_insert_postgres(conn: Connection, rows: list[StagedRow]) -> set[str]:
    """COPY into a temp table, then INSERT .. ON CONFLICT DO NOTHING; returns who won."""
    columns = ", ".join(STAGED_COLUMNS)
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS staging_load "
        "(LIKE staged_transactions INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with _driver_errors(conn, "COPY staging_load"):
        _copy_rows(cursor, "staging_load", rows)
    inserted = conn.exec_driver_sql(
        f"INSERT INTO staged_transactions ({columns}) SELECT {columns} FROM staging_load "
        "ON CONFLICT (transaction_id) DO NOTHING RETURNING transaction_id"
    )
    return {str(tid) for (tid,) in inserted}


def _copy_rows(cursor: Any, table: str, rows: list[StagedRow]) -> None:
    statement = f"COPY {table} ({', '.join(STAGED_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    with cursor.copy(statement) as copy:
        copy.set_types(STAGED_COPY_TYPES)
        for row in rows:
            copy.write_row(row.columns)


def _insert_rejects(conn: Connection, rejects: Iterable[RejectRow], received_at: Any) -> None:
    values = [
        {
            "message_id": reject.message_id,
            "transaction_id": reject.transaction_id,
            "received_at": received_at,
            "reason_code": reject.reason_code,
            "detail": storable(reject.detail),
            "body": storable(reject.body),
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


_BATCH_COLUMNS = tuple(column.name for column in gateway_batches.columns)
if _BATCH_COLUMNS != BatchRecord._fields:
    raise ImportError("BatchRecord's fields must be gateway_batches' columns, in order")
_BATCH_TIMES = tuple(BatchRecord._fields.index(name) for name in ("started_at", "finished_at"))


def _insert_batch(conn: Connection, batch: BatchRecord) -> None:
    """One INSERT through the driver: SQLAlchemy's statement handling cost ten times the
    insert itself (60 us against 6 on SQLite, measured), once a batch of maybe ten."""
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    sql = (
        f"INSERT INTO gateway_batches ({', '.join(_BATCH_COLUMNS)}) "
        f"VALUES ({', '.join(mark for _ in _BATCH_COLUMNS)})"
    )
    values: list[Any] = list(batch)
    if conn.dialect.name != "postgresql":  # SQLAlchemy's SQLite text format, as staged rows
        for index in _BATCH_TIMES:
            values[index] = values[index].isoformat(" ", "microseconds")
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with _driver_errors(conn, "INSERT INTO gateway_batches"):
        cursor.execute(sql, values)


def sent_and_staged_at(engine: Engine) -> list[tuple[datetime, datetime]]:
    """(sent_at, staged_at) of every staged row: a message's latency through the gateway,
    as `settlement compare-modes` measures it."""
    with engine.connect() as conn:
        query = select(staged_transactions.c.sent_at, staged_transactions.c.staged_at)
        return [(sent, staged) for sent, staged in conn.execute(query)]


def is_transient(error: BaseException) -> bool:
    """Errors worth a redelivery: the database is away or busy, not the row is wrong."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated
