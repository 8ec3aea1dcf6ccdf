"""The raw floor of a journal import: the same rows, already in storage form, written into
the same table by the bare driver (sqlite3 executemany in one transaction / psycopg binary
COPY), nothing parsed or checked. `settlement journal import`'s time is quoted against it
(docs/master-data.md). Run: `python -m tests.support.import_floor DATABASE_URL`, where the
database holds an imported journal: its rows are read back, a fresh copy of the table is
made beside them, and the load into it is timed."""

from __future__ import annotations

import sys
import time
from typing import Any

from sqlalchemy import Engine, create_engine

from settlement.adapters.journal_writes import JOURNAL_TABLE_COLUMNS

_COPY_TABLE = "journal_floor"


def journal_floor_s(engine: Engine) -> tuple[int, float]:
    """(rows, seconds) of the bare driver writing `journal_entries`' rows into an empty
    copy of the table, indexes included."""
    names = ", ".join(JOURNAL_TABLE_COLUMNS)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_COPY_TABLE}")
        rows: list[Any] = [
            tuple(row) for row in conn.exec_driver_sql(f"SELECT {names} FROM journal_entries")
        ]
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"CREATE TABLE {_COPY_TABLE} (LIKE journal_entries INCLUDING ALL)")
        else:
            _sqlite_copy_table(conn)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        if engine.dialect.name == "postgresql":
            _copy(cursor, rows)
        else:
            marks = ", ".join("?" for _ in JOURNAL_TABLE_COLUMNS)
            cursor.executemany(f"INSERT INTO {_COPY_TABLE} ({names}) VALUES ({marks})", rows)
        raw.commit()
        elapsed = time.perf_counter() - started
    finally:
        raw.close()
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE {_COPY_TABLE}")
    return len(rows), elapsed


def _sqlite_copy_table(conn: Any) -> None:
    """journal_entries' schema under another name, with its indexes."""
    ddl = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'journal_entries' AND sql IS NOT NULL"
    ).scalars()
    for statement in ddl:
        renamed = statement.replace("journal_entries", _COPY_TABLE)
        renamed = renamed.replace("INDEX ix_", f"INDEX ix_{_COPY_TABLE}_")
        conn.exec_driver_sql(renamed)


def _copy(cursor: Any, rows: list[Any]) -> None:
    from settlement.adapters.journal_writes import _COPY_TYPES  # noqa: PLC0415

    names = ", ".join(JOURNAL_TABLE_COLUMNS)
    with cursor.copy(f"COPY {_COPY_TABLE} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_COPY_TYPES)
        for row in rows:
            copy.write_row(row)


if __name__ == "__main__":
    count, seconds = journal_floor_s(create_engine(sys.argv[1]))
    print(f"raw floor: {count:,} rows in {seconds:.2f} s = {count / seconds:,.0f} rows/s")
