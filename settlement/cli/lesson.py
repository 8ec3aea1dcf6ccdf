"""`settlement lesson` (= `make lesson`): one generated day screened for fraud both ways.

The demo's day (generate, import, ingest through SQS and the gateway, end of day with the
simulator's labels, compare-modes, reports), plus: the day's staged purchases replayed
through the asynchronous fraud lane in the order the terminals sent them (`sent_at`,
business time), the batch fraud screen measured on the same data, and lesson.json +
async_holds.csv beside the day's reports. Ends with the side-by-side table and the report.
docs/lesson.md says what each figure means.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from settlement.cli.app import app, console, settings_or_exit
from settlement.cli.compare import refuse_unwritable
from settlement.cli.dashboard import live_demo
from settlement.cli.demo import (
    DEMO_DATE,
    DEMO_TRANSACTIONS,
    DayExtras,
    DemoPlan,
    _run_steps,
    compare_target,
    start_clean,
)
from settlement.cli.report import parse_date
from settlement.config import Settings
from settlement.exit_codes import ExitCode

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from settlement.cli.progress import ProgressBoard
    from settlement.compare.lane_replay import BatchRun, LaneRun
    from settlement.eod.run import RunReport


class LessonSteps(DayExtras):
    """The lane's replay after ingest, the batch screen after the end of day, the lesson
    written before the reports (which show it)."""

    def __init__(self, settings: Settings, plan: DemoPlan) -> None:
        self.settings, self.plan = settings, plan
        self.lane: LaneRun | None = None
        self.run: Any = None
        self.lesson: dict[str, Any] = {}

    def after_ingest(self, board: ProgressBoard, engine: Engine) -> None:
        from settlement.compare.lane_replay import eur_converter, replay_lane  # noqa: PLC0415

        self.to_eur = eur_converter(engine, self.plan.day, self.settings.fx_max_rate_age_days)
        self.rulebook = _rulebook(self.settings)
        self.lane = board.step(
            "async lane (replay by sent_at)",
            lambda: replay_lane(engine, self.plan.day, self.rulebook, self.to_eur),
        )

    def after_end_of_day(self, board: ProgressBoard, engine: Engine, eod: RunReport) -> None:
        from settlement.compare.lane_replay import screen_batch  # noqa: PLC0415

        self.batch = board.step(
            "batch fraud screen (timed)",
            lambda: screen_batch(engine, self.plan.day, self.rulebook, self.to_eur),
        )
        self.run_s = sum(eod.timings.values())
        self.run_id = eod.run_id

    def before_reports(self, board: ProgressBoard) -> None:
        lane = self.lane
        assert lane is not None
        self.lesson = board.step(
            "lesson.json + async_holds.csv",
            lambda: write_day_lesson(
                self.settings, self.plan, lane, self.batch, run_s=self.run_s, run_id=self.run_id
            ),
        )


def _rulebook(settings: Settings) -> Any:
    """The rulebook exactly as the end of day reads it (CARDSETTLE_FRAUD_RULES_FILE)."""
    from settlement.eod.run import _rulebook as run_rulebook  # noqa: PLC0415

    return run_rulebook(settings)


@app.command("lesson")
def lesson(
    *,
    transactions: int = typer.Option(
        DEMO_TRANSACTIONS, "--transactions", "-n", min=10, help="Transactions to simulate."
    ),
    seed: int = typer.Option(42, help="Simulator seed: the same seed gives the same day."),
    business_date: str = typer.Option(DEMO_DATE, "--date", help="Business date, YYYY-MM-DD."),
    transport: str = typer.Option("sqs", help="sqs (queue + gateway) or direct (big days)."),
    workdir: Path = typer.Option(Path("demo"), help="Where the generated day is kept."),
    live: bool = typer.Option(
        False, "--live", help="Serve the live view (settlement dashboard) while it runs."
    ),
) -> None:
    """One generated day both ways: fraud screened on arrival (async lane) and at end of
    day (batch); ends with the side-by-side table and report.html."""
    if transport not in {"sqs", "direct"}:
        raise typer.BadParameter("transport must be sqs or direct")
    started = time.perf_counter()
    settings = settings_or_exit()
    plan = DemoPlan(parse_date(business_date), transactions, seed, transport, True, workdir)
    day_dir = settings.reports_dir / plan.day.isoformat()
    # every file it writes, before the day is simulated and settled, not after
    for target in (day_dir / "lesson.json", day_dir / "async_holds.csv", compare_target(settings)):
        refuse_unwritable(target)
    console.rule(f"cardsettle lesson: business date {plan.day}, {transactions:,} transactions")
    console.print(start_clean(settings, workdir))
    steps = LessonSteps(settings, plan)
    with live_demo(settings, live):
        _ingested, written = _run_steps(settings, plan, steps)
        print_lesson(steps.lesson)
        console.print(f"lesson wall time: {time.perf_counter() - started:.1f} s")
        console.print(f"lesson: {written.directory.resolve() / 'lesson.json'}")
        console.print(f"report: [bold]{written.html.resolve()}[/bold]")
    if not steps.lesson["agreement"]["equal"]:  # same rules, same data: a defect, not a lesson
        print("error: the async lane's holds differ from the batch's; see lesson.json",
              file=sys.stderr, flush=True)  # fmt: skip
        raise typer.Exit(ExitCode.FAILED)


def print_lesson(lesson: dict[str, Any]) -> None:
    console.print(_stories_table(lesson))
    claims = Table("", "claimed", "async", "batch", "measured", title="the claims, as measured")
    for claim in lesson["claims"]:
        verdict = "holds" if claim["holds"] else f"[yellow]{claim['winner']}[/yellow]"
        claims.add_row(claim["label"], claim["claimed"], _value(claim, "async_value"),
                       _value(claim, "batch_value"), verdict)  # fmt: skip
    console.print(claims)
    for claim in lesson["claims"]:
        if claim["why"]:
            console.print(f"- {claim['label']}: {claim['why']}.")
    agreement = lesson["agreement"]
    console.print(
        f"same rules, same verdict: the lane's {agreement['held']:,} holds are the batch's "
        f"({'equal' if agreement['equal'] else 'NOT EQUAL'}); "
        f"{lesson['provisional_holds_released']:,} provisional holds were withdrawn on the way"
    )


def _stories_table(lesson: dict[str, Any]) -> Table:
    """One line a scenario, so that it reads in an 80-column log: the median time to the
    first hold (the worst one is in lesson.json and the report) and what was accepted first."""
    table = Table(title="fraud: screened on arrival (async) vs at end of day (batch)")
    table.add_column("scenario", no_wrap=True)
    table.add_column("held", justify="right", no_wrap=True)
    for heading in ("hold async", "hold batch", "let through async", "let through batch"):
        table.add_column(heading, justify="right")
    for row in (*lesson["scenarios"], lesson["total"]):
        a, b = row["async"], row["batch"]
        table.add_row(
            row["scenario"], f"{a['held_stories']:,}/{row['stories']:,}",
            _waits(a), _waits(b), _accepted(a), _accepted(b),
        )  # fmt: skip
    table.caption = (
        "held: stories held / stories; hold: median time from a story's first fraudulent "
        "purchase to its first hold; let through: fraudulent purchases accepted before the "
        "hold, EUR"
    )
    return table


def _value(claim: dict[str, Any], key: str) -> str:
    value = claim[key]
    if value is None:  # nothing to measure that way (no story held)
        return "–"
    if claim["unit"] == "s" and isinstance(value, int):
        return _duration(value)
    return f"{value:,} {claim['unit']}" if isinstance(value, int) else f"{value} {claim['unit']}"


def _duration(seconds: int) -> str:
    from settlement.compare.lesson import duration_text  # noqa: PLC0415

    return duration_text(seconds)


def _waits(figures: dict[str, Any]) -> str:
    median = figures["time_to_hold_s_median"]
    return "–" if median is None else _duration(median)


def _accepted(figures: dict[str, Any]) -> str:
    accepted = figures["accepted_before_hold"]
    return f"{accepted['transactions']:,}: {_eur(accepted['amount_eur_minor'])}"


def _eur(minor: int) -> str:
    from settlement.reports.html import money  # noqa: PLC0415 - thousands, exact

    return money(minor, "EUR")


def write_day_lesson(
    settings: Settings,
    plan: DemoPlan,
    lane_run: LaneRun,
    batch: BatchRun,
    *,
    run_s: float,
    run_id: str | None,
) -> dict[str, Any]:
    """Aggregate the day both ways and write lesson.json and async_holds.csv beside its
    reports; the batch holds at the cutoff plus the run's duration. `run_id` ties the lesson
    to the end-of-day run it measured: a report of a later run does not show it."""
    from pos_simulator.writer import LABELS  # noqa: PLC0415 - the day's own file names
    from settlement.compare import lesson as figures  # noqa: PLC0415
    from settlement.compare.lane_replay import agreement_of  # noqa: PLC0415
    from settlement.domain.calendar import cutoff_instant  # noqa: PLC0415
    from settlement.eod.labels import read_labels  # noqa: PLC0415
    from settlement.reports.comparison import load_comparison  # noqa: PLC0415

    cutoff = cutoff_instant(plan.day, settings.zone, settings.cutoff_time)
    comparison = load_comparison(settings.reports_dir / "compare.json")
    lane = lane_run.lane
    run = figures.DayRun(
        arrivals=lane_run.arrivals, labels=read_labels(plan.day_dir / LABELS),
        async_held_at=lane.held_at, batch_decisions=batch.decisions,
        batch_held_at=cutoff + timedelta(seconds=run_s), to_eur=lane.to_eur,
        lane_cpu_s=lane_run.cpu_s, batch_cpu_s=batch.cpu_s, lane_work=asdict(lane.counters),
        released=lane.released_total, agreement=agreement_of(lane, batch),
        transport=comparison.modes if comparison else (),
        tps=comparison.tps if comparison else 0.0,
        extra={"run_id": run_id, "transport": None if comparison is None else
               {"messages": comparison.messages, "tps": comparison.tps}},
    )  # fmt: skip
    lesson = figures.build_lesson(run, plan.day.isoformat(), cutoff)
    figures.write_lesson(
        settings.reports_dir / plan.day.isoformat(), lesson, figures.hold_rows(run)
    )
    return lesson
