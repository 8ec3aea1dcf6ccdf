"""Bulk writes: plain executemany on SQLite, COPY on PostgreSQL, never RETURNING.

Measured: COPY is ~5x SQLAlchemy's executemany on PostgreSQL, and SQLite's
executemany in one transaction is the fastest path there. Rows are written in chunks so a
caller can stream an unbounded iterable through with bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table

from settlement.batching import batched

CHUNK_ROWS = 10_000


def sqlite_value(value: Any) -> Any:
    """SQLAlchemy's own SQLite text for datetimes, so string comparisons in SQL agree."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def bulk_insert(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    skip_existing: bool = False,
) -> int:
    """Insert `rows` (tuples in `columns` order); with skip_existing, primary-key clashes are
    ignored (a re-imported file). Returns the number of rows written."""
    if conn.dialect.name == "postgresql":
        return _copy(conn, table, columns, rows, skip_existing=skip_existing)
    verb = "INSERT OR IGNORE" if skip_existing else "INSERT"
    marks = ", ".join("?" for _ in columns)
    sql = f"{verb} INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    written = 0
    for chunk in batched(rows, CHUNK_ROWS):
        cursor.executemany(sql, [tuple(map(sqlite_value, row)) for row in chunk])
        written += cursor.rowcount  # executemany sums the rows each insert changed
    return written


def _copy(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    skip_existing: bool,
) -> int:
    target = table.name
    names = ", ".join(columns)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if skip_existing:
        target = f"_bulk_{table.name}"
        cursor.execute(f"CREATE TEMP TABLE {target} (LIKE {table.name}) ON COMMIT DROP")
    written = 0
    with cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    if skip_existing:
        cursor.execute(
            f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {target} "
            "ON CONFLICT DO NOTHING"
        )
        written = cursor.rowcount
        cursor.execute(f"DROP TABLE {target}")
    return written
