"""Engines and schema migration for the staging database (SQLite or PostgreSQL).

SQLite gets WAL and `synchronous=FULL`: a message is deleted from SQS only after its
commit, and WAL with NORMAL can lose a committed transaction on power loss.

Two ways to open it: `migrated_engine` for the commands that fill a database (imports,
the gateway, the demo), which creates and migrates an embedded SQLite file on first use;
`existing_engine` for the commands that only make sense on one that holds a day (`eod`,
`report`, `scheduler`, the EOD Lambda), which refuses a missing file or a schema that is
not exactly this code's, so a mistyped URL is an error instead of a fresh empty database
whose "completed" end of day overwrites the real payout file.
"""

from __future__ import annotations

import itertools
import logging
import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.pool import NullPool

import settlement
from settlement.backoff import backoff_s, equal_jitter_s
from settlement.errors import DatabaseNotReady, DatabaseUnreachable

log = logging.getLogger(__name__)

_MIGRATION_DIRS = (
    Path(settlement.__file__).resolve().parent.parent / "migrations",  # source checkout
    Path(settlement.__file__).resolve().parent / "_migrations",  # installed wheel
)


def migrations_dir() -> Path:
    for candidate in _MIGRATION_DIRS:
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("Alembic migrations not found next to the settlement package")


# Every SQLite connection the product opens, in this order; the bulk-load floor in
# bench/bench_day.py applies the same list, so the floor moves with the product.
# cache_size: a negative value is KiB. SQLite's default (2 MiB, 500 pages) is far smaller
# than what one 10,000-row transaction dirties on a 1M-row day (random transaction ids and
# card tokens touch about half the leaves of those two indexes: ~15,000 pages), so the pager
# spills dirty pages to the WAL mid-transaction and reads them back again. See
# docs/storage.md for the measurements behind the size and why it is not larger (peak RSS).
SQLITE_CACHE_KIB = 65_536
SQLITE_PRAGMAS: tuple[tuple[str, str], ...] = (
    ("journal_mode", "WAL"),
    ("synchronous", "FULL"),
    ("foreign_keys", "ON"),
    ("busy_timeout", "30000"),
    ("cache_size", str(-SQLITE_CACHE_KIB)),
)


def apply_sqlite_pragmas(dbapi_connection: Any) -> None:
    """The product's pragmas on a raw sqlite3 connection (SQLAlchemy's or a bare one)."""
    cursor = dbapi_connection.cursor()
    for name, value in SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {name}={value}")
    cursor.close()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    apply_sqlite_pragmas(dbapi_connection)


def checkpoint_wal(engine: Engine) -> None:
    """Copy an SQLite database's write-ahead log into the database file and truncate it
    (PostgreSQL: nothing to do). A bulk load ends with it: with two writers taking turns the
    log is never fully copied back while they run, so SQLite never starts it over, and a 1M
    day left a 1.3 GB log behind (measured) that the next command would read through and
    then copy back on its own clock. Best effort: a reader still open elsewhere leaves the
    rest for a later checkpoint, as SQLite itself would."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _sqlite_manual_transactions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN itself


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


# psycopg prepares a statement on the server from its fifth run on a connection, and
# PostgreSQL then plans it once for any parameters (a generic plan). A key list bound as
# `IN (...)` is then a run-time array the plan cannot hash, and the plan was chosen when
# the table was small (a sequential scan): every row is compared with every key. An import
# that replaces its keys chunk by chunk in one transaction grew quadratically that way: a
# first import of 50,000 merchants took 48.6 s in its deletes on PostgreSQL 15, 0.7 s
# planned per run (docs/storage.md, "Statements are planned per run on PostgreSQL"). The
# product's statements are few and large: the other stages of a day did not move.
NO_PREPARE: dict[str, Any] = {"prepare_threshold": None}


def postgres_timeouts(
    url: str, lock_timeout_ms: int | None, statement_timeout_ms: int | None
) -> dict[str, str]:
    """`connect_args` that set lock_timeout / statement_timeout on every new connection.

    Sent as libpq startup options, so they hold from the first statement of every pooled
    connection without an extra round trip. Options already in the URL are kept, and a
    timeout the URL sets itself wins over the setting: it is the more specific of the two.
    """
    given = make_url(url).query.get("options") or ""
    given_text = " ".join(given) if isinstance(given, tuple) else given
    settings = {"lock_timeout": lock_timeout_ms, "statement_timeout": statement_timeout_ms}
    flags = [
        f"-c {name}={value}"
        for name, value in settings.items()
        if value is not None and not re.search(rf"(-c\s*|--){name}=", given_text)
    ]
    if not flags:
        return {}
    return {"options": " ".join([*([given_text] if given_text else []), *flags])}


def create_db_engine(
    url: str,
    *,
    write_lock_on_begin: bool = False,
    lock_timeout_ms: int | None = None,
    statement_timeout_ms: int | None = None,
    **kwargs: Any,
) -> Engine:
    """An engine with the pragmas and pool settings cardsettle relies on.

    `write_lock_on_begin` makes every SQLite transaction take the write lock at BEGIN
    (BEGIN IMMEDIATE), so a read-then-write such as "which of these ids exist? insert the
    rest" cannot race another writer. PostgreSQL guards the same with ON CONFLICT.
    `lock_timeout_ms` / `statement_timeout_ms` (PostgreSQL; None = server default, 0 = no
    limit) make a stuck lock or query fail fast with an error the gateway treats as transient,
    so its batch goes back to the queue instead of hanging a consumer. SQLite's equivalent is
    its busy_timeout.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        timeouts = postgres_timeouts(url, lock_timeout_ms, statement_timeout_ms)
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}), **timeouts, **NO_PREPARE}
        return create_engine(url, pool_pre_ping=True, **kwargs)
    database = parsed.database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)
    if write_lock_on_begin:
        event.listen(engine, "connect", _sqlite_manual_transactions)
        event.listen(engine, "begin", _begin_immediate)
    return engine


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def wait_for_database(
    engine: Engine,
    max_wait_s: float,
    *,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> None:
    """Return once `engine` connects; while the database is unreachable, retry with jittered
    exponential backoff (0.5 s doubling to 10 s) for up to `max_wait_s`, then raise.

    A gateway that starts before its database (a container restart, a failover) should wait
    for it, not exit: polling SQS meanwhile would only push messages toward the DLQ."""
    rng = rng or random.Random()
    deadline = clock() + max_wait_s
    for retry in itertools.count(1):
        try:
            with engine.connect():
                return
        except OperationalError as error:
            left_s = deadline - clock()
            if left_s <= 0:
                raise
            pause_s = min(left_s, equal_jitter_s(backoff_s(retry, 0.5, 10.0), rng))
            reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
            log.warning("database unavailable (%s): retrying in %.1f s", reason, pause_s)
            sleep(pause_s)


def ensure_schema(engine: Engine) -> None:
    """Migrate an embedded SQLite database on first use; PostgreSQL must be migrated explicitly.

    Real-mode databases are shared by several processes, so their schema changes only through
    `settlement db upgrade`; a missing table there is a clear error rather than a surprise DDL.
    """
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "sqlite":
        upgrade(url)
        return
    if not inspect(engine).has_table("staged_transactions"):
        raise RuntimeError(
            "database schema missing: run `settlement db upgrade` against "
            + engine.url.render_as_string(hide_password=True)
        )


@contextmanager
def migrated_engine(url: str) -> Iterator[Engine]:
    """An engine on `url` whose schema is there (see `ensure_schema`), disposed after."""
    engine = create_db_engine(url)
    try:
        try:
            ensure_schema(engine)
        except OperationalError as error:
            raise DatabaseUnreachable(_unreachable(url, error)) from error
        yield engine
    finally:
        engine.dispose()


def masked_url(url: str) -> str:
    """The URL as an error message may show it: the password replaced by ***."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL; None for PostgreSQL and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database)).expanduser()


def seen_by_other_processes(url: str) -> bool:
    """Whether another process opening `url` reaches the same database: not so for SQLite
    in memory (`sqlite://`, `:memory:`, a `mode=memory` URI), private to its connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return True
    database = str(parsed.database or "")
    in_memory = parsed.query.get("mode") == "memory" or "mode=memory" in database
    return database not in ("", ":memory:") and not in_memory


def file_identity(url: str) -> tuple[int, int] | None:
    """(st_dev, st_ino) of an SQLite database file, None if it is gone (or not a file).

    An open connection keeps writing to a file that was deleted or replaced under it, and
    commits succeed: comparing this before and after a run is how the run finds out."""
    path = sqlite_file(url)
    if path is None:
        return None
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


def require_file(url: str) -> None:
    """An SQLite URL's file exists (connecting would create it); PostgreSQL passes."""
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise DatabaseNotReady(
            f"database {masked_url(url)}: no such file {path}; check CARDSETTLE_DATABASE_URL"
            " (this command never creates a database: `settlement db upgrade` does)"
        )


def open_existing(url: str) -> Engine:
    """An engine on a database that already exists at this code's schema; raises
    DatabaseNotReady (and creates nothing) or DatabaseUnreachable otherwise."""
    require_file(url)
    # Looked at through a bare engine first: the pragmas of `create_db_engine` would switch
    # a foreign SQLite file to WAL, a change to a database that is not ours.
    probe = create_engine(url, poolclass=NullPool)
    try:
        require_current_schema(probe)
    finally:
        probe.dispose()
    return create_db_engine(url)


@contextmanager
def existing_engine(url: str) -> Iterator[Engine]:
    """`open_existing`, disposed after."""
    engine = open_existing(url)
    try:
        yield engine
    finally:
        engine.dispose()


def require_current_schema(engine: Engine) -> None:
    """The database is reachable and at exactly this code's newest revision."""
    url = engine.url.render_as_string(hide_password=False)
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
            tables = set(inspect(conn).get_table_names())
    except OperationalError as error:
        raise DatabaseUnreachable(_unreachable(url, error)) from error
    except DatabaseError as error:  # e.g. SQLite: "file is not a database"
        reason = _reason(error)
        raise DatabaseNotReady(f"database {masked_url(url)} cannot be read: {reason}") from error
    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    if current == heads:
        return
    raise DatabaseNotReady(f"database {masked_url(url)} {_schema_problem(current, heads, tables)}")


def _schema_problem(current: set[str], heads: set[str], tables: set[str]) -> str:
    need = ", ".join(sorted(heads))
    if not current:
        what = "is empty" if not tables else f"holds {len(tables)} other table(s)"
        return (
            f"has no cardsettle schema (it {what}): check CARDSETTLE_DATABASE_URL, or run"
            " `settlement db upgrade` to create the schema there"
        )
    return (
        f"is at schema revision {', '.join(sorted(current))}, this cardsettle needs {need}:"
        " run `settlement db upgrade` (or use the cardsettle version that wrote it)"
    )


def _reason(error: DatabaseError) -> str:
    text = str(error.orig if error.orig is not None else error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _unreachable(url: str, error: OperationalError) -> str:
    return f"database {masked_url(url)} unreachable: {_reason(error)}"
