"""The SQLite write path every bulk stage shares: the product's pragmas come from one list
(`database.SQLITE_PRAGMAS`), every connection gets them, the bulk-load floor of `bench day`
applies the same list, and a bulk load can leave its database checkpointed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from bench.bench_day import floor_sqlite_load
from settlement.adapters import database


def test_every_sqlite_connection_gets_the_listed_pragmas(tmp_path: Path) -> None:
    engine = database.create_db_engine(f"sqlite:///{tmp_path / 'day.db'}")
    try:
        with engine.connect() as conn:
            seen = {
                name: str(conn.execute(text(f"PRAGMA {name}")).scalar_one()).lower()
                for name, _ in database.SQLITE_PRAGMAS
            }
    finally:
        engine.dispose()
    # synchronous reads back as a number: FULL is 2
    wanted = {name: value.lower() for name, value in database.SQLITE_PRAGMAS}
    assert seen == {**wanted, "synchronous": "2", "foreign_keys": "1"}
    assert seen["cache_size"] == str(-database.SQLITE_CACHE_KIB)


def test_the_floor_applies_the_product_s_own_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """user_version persists in the file, so it shows which list the floor's writer got."""
    source, target = tmp_path / "day.db", tmp_path / "floor.db"
    for path in (source, target):
        database.upgrade(f"sqlite:///{path}")
    monkeypatch.setattr(
        database, "SQLITE_PRAGMAS", (*database.SQLITE_PRAGMAS, ("user_version", "7"))
    )
    floor_sqlite_load(source, target, "merchants")
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (7,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_checkpoint_empties_the_write_ahead_log(tmp_path: Path) -> None:
    path = tmp_path / "day.db"
    url = f"sqlite:///{path}"
    database.upgrade(url)
    engine = database.create_db_engine(url)
    reader = database.create_db_engine(url)  # holds the log open, as a worker would
    try:
        with reader.connect() as held:
            with engine.begin() as conn:
                conn.execute(text("PRAGMA wal_autocheckpoint=0"))
                conn.execute(text("CREATE TABLE filler (payload TEXT)"))
                conn.execute(text("INSERT INTO filler VALUES (randomblob(200000))"))
            wal = Path(f"{path}-wal")
            assert wal.stat().st_size > 200_000
            held.execute(text("SELECT 1"))
            database.checkpoint_wal(engine)
            assert wal.stat().st_size == 0
    finally:
        engine.dispose()
        reader.dispose()


def test_a_checkpoint_runs_on_either_backend(db_url: str) -> None:
    """On PostgreSQL it sends nothing (no such pragma there: a statement would fail)."""
    engine = database.create_db_engine(db_url)
    try:
        database.checkpoint_wal(engine)
    finally:
        engine.dispose()
