"""Reports of a settled day for tests: a small generated day through end of day, and its
reports written from an engine as `settlement report` writes them (the read model over one
connection, handed to the report writer)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from sqlalchemy import Engine

from pos_simulator.config import DayConfig
from pos_simulator.generate import generate_day
from pos_simulator.profiles import PROFILES
from settlement.adapters import database
from settlement.adapters.report_reads import report_reads
from settlement.config import Settings, load_settings
from settlement.reports import WrittenReports, write_reports

if TYPE_CHECKING:
    from settlement.cli.progress import ProgressBoard


def write_day_reports(
    engine: Engine, settings: Settings, day: date, out_dir: Path | None = None
) -> WrittenReports:
    with report_reads(engine) as reads:
        return write_reports(reads, settings, day, out_dir)


def generate_small_day(
    workdir: Path, day: date, profile: str = "faulty", transactions: int = 400
) -> Path:
    """A small day (400 transactions, seed 5, 25 merchants, 500 cards) written under
    `workdir`/day; returns `workdir`. More `transactions` make a busier day of the same
    merchants and cards."""
    config = DayConfig(seed=5, business_date=day, transactions=transactions, merchants=25,
                       cards=500, mix=PROFILES[profile])  # fmt: skip
    generate_day(config, workdir / "day")
    return workdir


def silent_board() -> ProgressBoard:
    """A progress board that shows nothing, for the demo's steps called from a test."""
    from settlement.cli.progress import ProgressBoard  # noqa: PLC0415

    return ProgressBoard(Console(file=io.StringIO()), live_bars=False)


@contextmanager
def settled_day(
    db_url: str, generated: Path, reports_dir: Path, day: date
) -> Iterator[tuple[Engine, Settings]]:
    """A day of `generate_small_day` staged (direct transport), imported and through end of
    day, as the demo does it."""
    from settlement.cli.demo import DemoPlan, end_of_day, import_inputs, ingest  # noqa: PLC0415

    board = silent_board()

    settings = load_settings(database_url=db_url, reports_dir=reports_dir)
    database.upgrade(db_url)
    plan = DemoPlan(day, 400, 5, "direct", False, generated)
    engine = database.create_db_engine(db_url)
    try:
        import_inputs(engine, settings, plan, board)
        ingest(settings, plan, lambda _n: None)
        assert end_of_day(engine, settings, plan, board).status == "completed"
        yield engine, settings
    finally:
        engine.dispose()


@contextmanager
def settled_generated_day(
    db_url: str, workdir: Path, day: date, profile: str = "faulty"
) -> Iterator[tuple[Engine, Settings]]:
    """A small generated day (400 transactions) staged, imported and through end of day."""
    generated = generate_small_day(workdir, day, profile)
    with settled_day(db_url, generated, workdir / "reports", day) as settled:
        yield settled
