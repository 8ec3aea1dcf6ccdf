"""`settlement compare-modes`: the same traffic through asynchronous and batch consumption.

The simulator, moto, SQLAlchemy and the gateway are imported inside the command: every
`settlement` command imports this module to register itself, and only this one needs them.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table  # already loaded by settlement.cli.app

from settlement.cli.app import app, console, settings_or_exit
from settlement.exit_codes import ExitCode

if TYPE_CHECKING:
    from settlement.cli.progress import ProgressBoard
    from settlement.compare.harness import Mode
    from settlement.compare.result import ModeResult
    from settlement.config import Settings


@app.command("compare-modes")
def compare_modes(
    messages: int = typer.Option(300, min=10, max=100_000, help="Transactions to generate."),
    tps: float = typer.Option(20.0, min=1.0, help="Send rate, messages per second."),
    seed: int = typer.Option(7, help="Simulator seed for the traffic."),
    out: Path | None = typer.Option(None, help="compare.json path (default REPORTS_DIR)."),
) -> None:
    """Run the same traffic through async (batch size 1) and batch (10, long poll) consumers."""
    settings = settings_or_exit()
    target = out or settings.reports_dir / "compare.json"
    refuse_unwritable(target)  # before half a minute of measuring, not after
    from settlement.cli.progress import ProgressBoard  # noqa: PLC0415 - start-up time

    with ProgressBoard(console) as board:
        results = measure_modes(settings, messages, tps, seed, target=target, board=board)
    console.print(_table(results))
    console.print(f"wrote {target}")


def refuse_unwritable(target: Path) -> None:
    """Stop with one line (exit 2) unless `target` can be written: its directory exists or
    can be created, it is not a directory, and a file can be written there."""
    problem = _unwritable(target)
    if problem is not None:
        print(f"error: cannot write {target}: {problem}", file=sys.stderr, flush=True)
        raise typer.Exit(ExitCode.USAGE)


def _unwritable(target: Path) -> str | None:
    if target.is_dir():
        return "it is a directory (name a file, e.g. compare.json)"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        existed = target.exists()
        with target.open("a", encoding="utf-8"):
            pass
        if not existed:
            target.unlink()
    except OSError as error:
        return error.strerror or str(error)
    return None


def measure_modes(
    settings: Settings, messages: int, tps: float, seed: int, *, target: Path, board: ProgressBoard
) -> list[ModeResult]:
    """Generate the traffic, measure each mode (its sent and staged counts shown on
    `board`) and write compare.json to `target`."""
    from pos_simulator.config import DayConfig  # noqa: PLC0415 - heavy: see the module docstring
    from pos_simulator.generate import generate_day  # noqa: PLC0415
    from pos_simulator.writer import MESSAGES  # noqa: PLC0415
    from settlement.compare.harness import ASYNC, BATCH  # noqa: PLC0415
    from settlement.compare.result import write_comparison  # noqa: PLC0415
    from settlement.gateway.capture import read_bodies  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="cardsettle-compare-") as tmp:
        workdir = Path(tmp)
        config = DayConfig(seed=seed, business_date=date(2026, 11, 27), transactions=messages,
                           merchants=50, cards=2_000, timezone=settings.business_timezone,
                           cutoff=settings.cutoff_time)  # fmt: skip
        generate_day(config, workdir / "day")
        bodies = [body for _n, body in read_bodies(workdir / "day" / MESSAGES)]
        results = []
        for mode in (ASYNC, BATCH):
            with _mode_stages(board, mode.name, len(bodies)) as advance:
                results.append(_measure(settings, mode, bodies, tps, workdir, advance=advance))
    write_comparison(results, target, {"messages": len(bodies), "tps": tps, "seed": seed})
    return results


@contextmanager
def _mode_stages(
    board: ProgressBoard, mode: str, total: int
) -> Iterator[Callable[[str, int], None]]:
    """Two stages per mode, messages sent and staged; the harness's threads advance them."""
    stages = {
        what: board.start(f"{mode}: {what}", total, "messages") for what in ("sent", "staged")
    }
    completed = False
    try:
        yield lambda what, count: stages[what].advance(count)
        completed = True
    finally:
        for stage in stages.values():
            stage.finish(completed=completed)


def _measure(
    settings: Settings,
    mode: Mode,
    bodies: list[str],
    tps: float,
    workdir: Path,
    *,
    advance: Callable[[str, int], None],
) -> ModeResult:
    from settlement.adapters.aws import sqs_client  # noqa: PLC0415 - heavy, as above
    from settlement.adapters.database import create_db_engine, ensure_schema  # noqa: PLC0415
    from settlement.adapters.sqs_events import queue_arn  # noqa: PLC0415
    from settlement.compare.harness import ModeRig, RequestCounter, run_mode  # noqa: PLC0415
    from settlement.entrypoints.wiring import gateway_from_settings  # noqa: PLC0415

    queue = f"{settings.queue_name}-compare-{mode.name}"
    consumer, sender = sqs_client(settings), sqs_client(settings)
    url = consumer.create_queue(QueueName=queue)["QueueUrl"]
    consumer.purge_queue(QueueUrl=url)
    engine = create_db_engine(
        f"sqlite:///{workdir / (mode.name + '.db')}", write_lock_on_begin=True
    )
    ensure_schema(engine)
    rig = ModeRig(
        sqs=consumer, sender=sender, queue_url=url,
        source_arn=queue_arn(settings.aws_region, queue), region=settings.aws_region,
        gateway=gateway_from_settings(settings, engine),
        counter=RequestCounter(consumer), sender_counter=RequestCounter(sender),
    )  # fmt: skip
    try:
        return run_mode(mode, bodies, rig, tps, settings.sqs_price_per_million_usd, advance=advance)
    finally:
        engine.dispose()


def _table(results: list[ModeResult]) -> Table:
    table = Table("", *(result.mode for result in results), title="batch vs asynchronous")
    rows: tuple[tuple[str, Callable[[ModeResult], str]], ...] = (
        ("batch size / window", lambda r: f"{r.batch_size} / {r.batch_window_s:g} s"),
        ("messages staged", lambda r: f"{r.staged} of {r.messages}"),
        ("throughput", lambda r: f"{r.throughput_msg_s:,.0f} msg/s"),
        ("latency p50", lambda r: f"{r.latency_ms_p50:,.1f} ms"),
        ("latency p95", lambda r: f"{r.latency_ms_p95:,.1f} ms"),
        ("latency p99", lambda r: f"{r.latency_ms_p99:,.1f} ms"),
        ("SQS requests", lambda r: f"{r.sqs_requests_total:,}"),
        ("  of which receive", lambda r: f"{r.sqs_requests.get('ReceiveMessage', 0):,}"),
        ("  of which delete", lambda r: f"{r.sqs_requests.get('DeleteMessageBatch', 0):,}"),
        ("SQS cost", lambda r: f"${r.sqs_cost_usd}"),
        ("SQS cost per 1M messages", lambda r: f"${r.sqs_cost_usd_per_million_messages}"),
        ("staleness at end of day", lambda r: f"{r.staleness_s:.3f} s"),
    )
    for label, cell in rows:
        table.add_row(label, *(cell(result) for result in results))
    return table
