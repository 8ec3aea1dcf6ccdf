"""The page's tallies (`settlement.reports.tallies`, counted from the chunks the CSV files
are written from) against the GROUP BY queries they replace, on SQLite and PostgreSQL: a
generated day with fraud, FX, refunds, reversals and every kind of exception, and the same
day made hostile (amounts far past 2**53 either way, currency pairs and types no run
writes, stored text in the grouped columns), in chunks of 10,000 rows and of 7. Also the
exceptions, read through a MATERIALIZED CTE, against the plain ordered join."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError

from settlement.adapters import books
from settlement.adapters.eod_tables import reconciliation_items, settlement_lines
from settlement.adapters.report_reads import ReportReads, detail_rows, report_reads
from settlement.adapters.report_reads.recon import exceptions_with_facts
from settlement.adapters.report_reads.records import ExceptionItem
from settlement.config import Settings
from settlement.reports.csv_files import write_csv_files
from settlement.reports.gather import cutoff_of, gather_day
from settlement.reports.tallies import DayTallies
from tests.support import grouped_reads as grouped
from tests.support.hostile_report import make_hostile
from tests.support.reports import settled_generated_day

DAY = date(2026, 10, 14)


@pytest.fixture(params=["plain", "hostile"])
def day(
    request: pytest.FixtureRequest, db_url: str, tmp_path: Path
) -> Iterator[tuple[Engine, Settings, bool]]:
    hostile = request.param == "hostile"
    with settled_generated_day(db_url, tmp_path, DAY, profile="faulty") as (engine, settings):
        if hostile:
            make_hostile(engine, DAY)
        yield engine, settings, hostile


def _tallied(reads: ReportReads) -> DayTallies:
    return DayTallies().feed(
        reads.detail.reconciliation_chunks(DAY), reads.detail.settlement_chunks(DAY)
    )


@pytest.mark.parametrize("chunk_rows", [10_000, 7])
def test_the_tallies_equal_the_group_by_queries(
    day: tuple[Engine, Settings, bool], chunk_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _, hostile = day
    monkeypatch.setattr(detail_rows, "CHUNK_ROWS", chunk_rows)
    with report_reads(engine) as reads, engine.connect() as conn:
        tallies = _tallied(reads)
        items = tallies.items
        assert items.groups == _item_groups(reads)  # every sum exact, whatever its size
        same = _unless_sqlite_overflows
        same(items.staged_by_type(), lambda: grouped.staged_by_type(conn, DAY))
        same(items.staged_by_currency(), lambda: sorted(grouped.staged_by_currency(conn, DAY)))
        same(
            items.unsettled_by_currency(), lambda: sorted(grouped.unsettled_by_currency(conn, DAY))
        )
        assert items.class_counts() == grouped.class_counts(conn, DAY)
        assert tallies.lines.groups == _summed_lines(reads)
        same(tallies.lines.groups, lambda: _line_groups(engine))
        by_pair = tallies.lines.by_pair()
        uses = _unless_sqlite_overflows(None, lambda: grouped.fx_uses(conn, DAY))
        assert (
            uses is None
            or uses
            and [(u.line_count, u.original_minor, u.converted_minor) for u in uses]
            == [by_pair.get((u.from_currency, u.to_currency), (0, 0, 0)) for u in uses]
        )
        assert uses is None or [u[:7] for u in uses] == reads.ledger.fx_rates(DAY)
        if not hostile:  # hostile types are no TransactionType: both readers refuse them
            assert tallies.lines.settled_flows() == books.settled_flows(conn, DAY)
    if hostile:  # the amounts past 2**53 landed in the sums, exactly
        assert any(abs(sums[1]) > 2**62 for sums in tallies.lines.groups.values())
        assert any(abs(sums[1]) > 2**62 for sums in items.groups.values())


def _unless_sqlite_overflows(tallied: Any, read: Callable[[], Any]) -> Any:
    """`read()`, equal to `tallied` (None: do not compare). SQLite's sum() stops at 2**63
    with "integer overflow" where the tally's ints go on exactly (the hostile day's sums):
    there the tally is held to `_item_groups` alone. Returns what was read (None: overflow)."""
    try:
        found = read()
    except OperationalError as error:
        assert "integer overflow" in str(error)
        return None
    assert tallied is None or tallied == found
    return found


def _item_groups(reads: ReportReads) -> dict[tuple[str, str, str, str, bool], list[int]]:
    """The items as `ItemTally.groups` holds them, summed here from the typed records."""
    groups: dict[tuple[str, str, str, str, bool], list[int]] = {}
    for item in reads.detail.reconciliation_items(DAY):
        staged = item.staged_amount_minor is not None
        key = (item.transaction_type, item.currency, item.recon_class, item.outcome, staged)
        found = groups.setdefault(key, [0, 0])
        found[0] += 1
        found[1] += item.staged_amount_minor or 0
    return groups


def _summed_lines(reads: ReportReads) -> dict[tuple[str, str, str], list[int]]:
    """The lines as `LineTally.groups` holds them, summed here from the typed records."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    for line in reads.detail.settlement_lines(DAY):
        key = (line.transaction_type, line.original_currency, line.settlement_currency)
        found = groups.setdefault(key, [0, 0, 0, 0, 0])
        amounts = (1, line.original_amount_minor, line.converted_amount_minor,
                   line.fee_minor, line.fx_markup_minor)  # fmt: skip
        for at, amount in enumerate(amounts):
            found[at] += amount
    return groups


def _line_groups(engine: Engine) -> dict[tuple[str, str, str], list[int]]:
    """The settlement lines grouped by the database, as `LineTally.groups` holds them."""
    sl = settlement_lines
    keys = (sl.c.transaction_type, sl.c.original_currency, sl.c.settlement_currency)
    sums = (sl.c.original_amount_minor, sl.c.converted_amount_minor, sl.c.fee_minor,
            sl.c.fx_markup_minor)  # fmt: skip
    query = (
        select(*keys, func.count(), *map(func.sum, sums))
        .where(sl.c.run_date == DAY)
        .group_by(*keys)
    )
    with engine.connect() as conn:
        return {tuple(row[:3]): [int(v) for v in row[3:]] for row in conn.execute(query)}


def test_the_page_is_the_same_from_the_csv_pass_and_on_its_own(db_url: str, tmp_path: Path) -> None:
    """`write_reports` tallies as the files are written; `gather_day` alone streams the
    two tables itself: one page either way. (A page refuses the hostile day's types.)"""
    with (
        settled_generated_day(db_url, tmp_path, DAY, profile="faulty") as (engine, settings),
        report_reads(engine) as reads,
    ):
        tallies = DayTallies()
        write_csv_files(reads, DAY, tmp_path, cutoff_of(settings), observers=tallies.observers())
        assert tallies.items.groups and tallies.lines.groups
        assert gather_day(reads, settings, DAY, tallies) == gather_day(reads, settings, DAY)


def test_the_exceptions_are_the_ordered_join(day: tuple[Engine, Settings, bool]) -> None:
    """Through the CTE: the same rows, typed the same, in the order the plain join gives."""
    engine, _, _ = day
    ri = reconciliation_items
    by_class = exceptions_with_facts(DAY).order_by(ri.c.recon_class, ri.c.transaction_id)
    amount = func.coalesce(ri.c.journal_amount_minor, ri.c.staged_amount_minor)
    largest = exceptions_with_facts(DAY).order_by(amount.desc(), ri.c.transaction_id)
    with report_reads(engine) as reads, engine.connect() as conn:
        expected = _items(conn.execute(by_class))
        assert len(expected) > 3
        assert list(reads.detail.exceptions(DAY)) == expected
        page, total = reads.recon.exceptions(DAY, 3)
        assert (page, total) == (_items(conn.execute(largest.limit(3))), len(expected))


def _items(rows: Any) -> list[ExceptionItem]:
    return [ExceptionItem._make(row) for row in rows]
