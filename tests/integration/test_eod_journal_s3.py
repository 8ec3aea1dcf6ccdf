"""`settlement journal import s3://bucket/key` on SQLite and PostgreSQL, S3 being moto: the
object is streamed into the journal exactly as the same file on disk would be."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import select
from typer.testing import CliRunner

from settlement.adapters import database
from settlement.adapters.eod_tables import journal_entries
from settlement.cli import app
from settlement.exit_codes import ExitCode
from tests.support.hand_day import hand_day
from tests.support.staging_builder import JOURNAL_HEADER


@pytest.fixture
def journal_csv(db_url: str, monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", db_url)
    database.upgrade(db_url)
    _rows, journal = hand_day()
    bad = "BAD1,T9,M1,purchase,1.234,EUR,2026-03-11T10:00:00+01:00,1111,"  # 3 decimals for EUR
    return ("\n".join([JOURNAL_HEADER, *journal, bad]) + "\n").encode()


def _journal(db_url: str) -> list[tuple[Any, ...]]:
    engine = database.create_db_engine(db_url)
    try:
        with engine.connect() as conn:
            query = select(journal_entries).order_by(journal_entries.c.transaction_id)
            rows = [tuple(row) for row in conn.execute(query)]
    finally:
        engine.dispose()
    return [row[:-1] for row in rows]  # all but imported_at


def test_journal_import_from_s3_equals_the_local_file(
    db_url: str, journal_csv: bytes, tmp_path: Path
) -> None:
    bucket = f"terminal-journals-{uuid.uuid4().hex[:8]}"
    runner = CliRunner()
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        location: Any = {"LocationConstraint": "eu-west-1"}
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=location)
        s3.put_object(Bucket=bucket, Key="2026-03-11/journal.csv", Body=journal_csv)
        result = runner.invoke(app, ["journal", "import", f"s3://{bucket}/2026-03-11/journal.csv"])
        assert result.exit_code == ExitCode.FAILED, result.output  # a rejected line fails it
        assert "read 16, written 15, rejected 1" in result.output
        assert "line 17" in result.output
        from_s3 = _journal(db_url)
        again = runner.invoke(app, ["journal", "import", f"s3://{bucket}/2026-03-11/journal.csv"])
        assert again.exit_code == ExitCode.FAILED and _journal(db_url) == from_s3  # no change
        missing = runner.invoke(app, ["journal", "import", f"s3://{bucket}/nope.csv"])
        assert missing.exit_code == 2 and "no such S3 object" in missing.output
    assert len(from_s3) == 15
    local = tmp_path / "journal.csv"
    local.write_bytes(journal_csv)
    engine = database.create_db_engine(db_url)
    with engine.begin() as conn:
        conn.execute(journal_entries.delete())
    engine.dispose()
    result = runner.invoke(app, ["journal", "import", str(local)])
    assert result.exit_code == ExitCode.FAILED and _journal(db_url) == from_s3
