"""The merchants import writes as it reads, a chunk at a time, in one transaction: a line
rejected in any chunk leaves the table as it was before the import, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from settlement.adapters.bulk import CHUNK_ROWS
from settlement.adapters.imports import import_merchants
from settlement.adapters.tables import merchants
from tests.support.staging_builder import MERCHANTS_HEADER, merchant_line, migrated_database

LINES = 2 * CHUNK_ROWS + 5  # three chunks, the last one short


def _fees(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(merchants.c.merchant_id, merchants.c.mdr_bps))
        return {merchant_id: mdr_bps for merchant_id, mdr_bps in rows}


def _file(mdr_bps: int, *, line_count: int = LINES) -> list[str]:
    return [MERCHANTS_HEADER] + [
        merchant_line(f"M{index:06d}", "EUR", mdr_bps, "0.10") for index in range(line_count)
    ]


def test_a_file_of_several_chunks_is_written_whole(db_url: str, tmp_path: Path) -> None:
    with migrated_database(db_url, tmp_path) as (engine, _):
        report = import_merchants(engine, _file(150))
        assert (report.read, report.written, report.rejected) == (LINES, LINES, 0)
        again = import_merchants(engine, _file(160))  # every merchant replaced
        assert again.written == LINES
        assert set(_fees(engine).values()) == {160} and len(_fees(engine)) == LINES


@pytest.mark.parametrize(
    ("where", "bad"),
    [
        (1, "M000000,Shop,5411,NL,Amsterdam,Europe/Amsterdam,EUR,abc,0.10"),  # first chunk
        (CHUNK_ROWS + 3, "M000002,Shop,5411,NL,Amsterdam,Europe/Amsterdam,EUR,99,0.10"),
        (LINES, "M009999,Shop,5411,NL,Amsterdam,Europe/Amsterdam,EUR,99,0.10"),  # last line
    ],
    ids=["bad-mdr-in-first-chunk", "duplicate-in-second-chunk", "duplicate-on-last-line"],
)
def test_a_reject_in_any_chunk_leaves_the_table_as_it_was(
    db_url: str, tmp_path: Path, where: int, bad: str
) -> None:
    with migrated_database(db_url, tmp_path) as (engine, _):
        assert import_merchants(engine, _file(150, line_count=10)).written == 10
        lines = _file(170)
        lines.insert(where, bad)
        report = import_merchants(engine, lines)
        assert (report.rejected, report.written) == (1, 0), report.errors
        assert report.read == LINES + 1
        assert f"line {where + 1}: " in report.errors[0]
        assert _fees(engine) == {f"M{index:06d}": 150 for index in range(10)}


def test_an_unreadable_file_mid_way_leaves_the_table_as_it_was(db_url: str, tmp_path: Path) -> None:
    with migrated_database(db_url, tmp_path) as (engine, _):
        lines = _file(150)
        lines.insert(CHUNK_ROWS + 50, 'M999999,"Shop,5411,NL')  # an unclosed quote: not CSV
        report = import_merchants(engine, lines)
        assert report.file_error and report.written == 0
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(merchants)).scalar_one() == 0
