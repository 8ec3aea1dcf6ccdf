"""`existing_engine` (eod, report, scheduler, the EOD Lambda) opens only a database at this
code's schema and never creates or changes one; `migrated_engine` (imports, the demo)
creates an embedded SQLite file as before. Both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from settlement.adapters import database
from settlement.errors import DatabaseNotReady


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_an_unmigrated_database_is_refused_and_left_empty(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        _tables(db_url)  # the file exists, empty
    with pytest.raises(DatabaseNotReady, match="has no cardsettle schema") as raised:
        database.open_existing(db_url)
    assert "settlement db upgrade" in str(raised.value) and _tables(db_url) == set()


def test_a_foreign_database_is_refused_untouched(db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE customers (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(DatabaseNotReady, match=r"holds 1 other table\(s\)"):
        database.open_existing(db_url)
    assert _tables(db_url) == {"customers"}


def test_a_partly_migrated_database_is_refused(db_url: str) -> None:
    database.upgrade(db_url, "0002")
    with pytest.raises(DatabaseNotReady, match="at schema revision 0002, this cardsettle needs"):
        database.open_existing(db_url)
    database.upgrade(db_url)
    with database.existing_engine(db_url) as engine:
        assert inspect(engine).has_table("eod_runs")


def test_only_the_filling_commands_create_an_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "cardsettle.db"
    url = f"sqlite:///{path}"
    with pytest.raises(DatabaseNotReady, match="no such file"):
        database.open_existing(url)
    assert not path.parent.exists()
    with database.migrated_engine(url) as engine:
        assert inspect(engine).has_table("staged_transactions")
    assert database.file_identity(url) == (path.stat().st_dev, path.stat().st_ino)
