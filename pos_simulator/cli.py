"""`pos-sim`: generate a day of terminal traffic, and transmit it to the SQS queue.

The entry point: the only place that reads settings, the clock and the terminal. Bad input
stops a command with one line on stderr and exit code 2, like `settlement`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.table import Table

from pos_simulator.config import DayConfig
from pos_simulator.contract import schema_text
from pos_simulator.day import DaySummary
from pos_simulator.density import pool_sizes
from pos_simulator.generate import pool_items, pools_for, simulate_day
from pos_simulator.options import RateOptions, build_config, parse_cutoff
from pos_simulator.profiles import PROFILE_HELP
from pos_simulator.send_cli import open_queue, send_file
from pos_simulator.timeline import from_ms
from pos_simulator.writer import MESSAGES
from settlement.adapters.sqs_events import SendOutcome
from settlement.cli.boundary import guarded, request_debug
from settlement.cli.progress import ProgressBoard
from settlement.config import ConfigurationError, Settings, load_settings
from settlement.domain.calendar import FIRST_BUSINESS_DATE, LAST_BUSINESS_DATE
from settlement.exit_codes import ExitCode

app = typer.Typer(
    name="pos-sim",
    help="POS simulator: seeded card traffic for one business day, and its transmission to SQS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # rich's traceback shows locals: a PAN among them
)
console = Console()


@app.callback()
def _global_options(
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show the traceback of a failure (also CARDSETTLE_DEBUG=1)."),
    ] = False,
) -> None:
    request_debug(debug)


PROFILES_TEXT = ", ".join(PROFILE_HELP)

BusinessDate = Annotated[
    datetime,
    typer.Option("--business-date", formats=["%Y-%m-%d"], help="Business date D (YYYY-MM-DD)."),
]
Seed = Annotated[int, typer.Option(help="RNG seed: same seed and options, same bytes.")]
Transactions = Annotated[
    int, typer.Option("--transactions", "-n", min=1, help="Transactions in the day.")
]


def _pool_size(what: str) -> Any:
    """A pool's size option: unset, the day's density sizes it (pos_simulator/density.py)."""
    help_text = f"{what} in the pool (default: sized from -n, see docs/simulator.md)."
    return typer.Option(min=10, show_default=False, help=help_text)


Merchants = Annotated[int | None, _pool_size("Merchants")]
Cards = Annotated[int | None, _pool_size("Cards")]
Profile = Annotated[str, typer.Option(help=f"Preset mix: {PROFILES_TEXT} (see docs/simulator.md).")]
Rate = float | None
FraudRate = Annotated[Rate, typer.Option(help="Total fraud share, split like the profile.")]
Scenario = Annotated[
    list[str] | None, typer.Option(help="One scenario's rate, NAME=RATE (repeatable).")
]
FaultRate = Annotated[
    Rate, typer.Option(help="Total delivery-fault share, split like the profile.")
]
Fault = Annotated[
    list[str] | None, typer.Option(help="One fault kind's rate, KIND=RATE (repeatable).")
]
MalformedRate = Annotated[Rate, typer.Option(help="Total malformed share, split over 5 kinds.")]
RefundRate = Annotated[Rate, typer.Option(help="Share of transactions that are refunds.")]
ReversalRate = Annotated[Rate, typer.Option(help="Share of transactions that are reversals.")]
AbroadShare = Annotated[Rate, typer.Option(help="Share of card-present spend on foreign cards.")]
CrossCurrencyShare = Annotated[
    str | None,
    typer.Option(
        help="Share of merchants settling in another currency than they sell in, 0 to 1"
        " (default 0.2; see docs/simulator.md).",
        show_default=False,
    ),
]
Currencies = Annotated[
    str | None, typer.Option(help="Only merchants with these currencies, e.g. EUR,USD,JPY.")
]
Timezone = Annotated[
    str | None, typer.Option(help="Business timezone (default: CARDSETTLE_BUSINESS_TIMEZONE).")
]
Cutoff = Annotated[str | None, typer.Option(help="Cutoff HH:MM (default: CARDSETTLE_CUTOFF_TIME).")]
QueueUrl = Annotated[
    str | None, typer.Option(help="Queue URL (default: create or find CARDSETTLE_QUEUE_NAME).")
]


def fail(message: str, code: ExitCode = ExitCode.USAGE) -> NoReturn:
    print(message, file=sys.stderr)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as error:
        fail(str(error))


@app.command()
def generate(
    *,
    business_date: BusinessDate,
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("pos-day"),
    seed: Seed = 42,
    transactions: Transactions = 10_000,
    merchants: Merchants = None,
    cards: Cards = None,
    profile: Profile = "default",
    fraud_rate: FraudRate = None,
    scenario: Scenario = None,
    fault_rate: FaultRate = None,
    fault: Fault = None,
    malformed_rate: MalformedRate = None,
    refund_rate: RefundRate = None,
    reversal_rate: ReversalRate = None,
    abroad_share: AbroadShare = None,
    cross_currency_share: CrossCurrencyShare = None,
    currencies: Currencies = None,
    timezone: Timezone = None,
    cutoff: Cutoff = None,
) -> None:
    """Write one business day: merchants, messages, journal, labels and faults."""
    rates = RateOptions(
        profile=profile,
        fraud_rate=fraud_rate,
        fault_rate=fault_rate,
        malformed_rate=malformed_rate,
        scenarios=scenario or [],
        faults=fault or [],
        refund_rate=refund_rate,
        reversal_rate=reversal_rate,
        abroad_share=abroad_share,
        cross_currency_share=cross_currency_share,
    )
    sizes = _sizes(seed, transactions, (merchants, cards), "generate")
    config = _config(business_date, sizes, rates, currencies=currencies, zone=(timezone, cutoff))
    _generate(config, out)


def _sizes(
    seed: int, transactions: int, given: tuple[int | None, int | None], command: str
) -> tuple[int, int, int, int]:
    """The pools as given, else as the day's density sizes them for this command."""
    merchants, cards = given
    sized = pool_sizes(transactions, command)
    return (
        seed,
        transactions,
        sized.merchants if merchants is None else merchants,
        sized.cards if cards is None else cards,
    )


def _config(
    business_date: datetime,
    sizes: tuple[int, int, int, int],
    rates: RateOptions,
    *,
    currencies: str | None,
    zone: tuple[str | None, str | None],
) -> DayConfig:
    """The day to generate; timezone and cutoff default to the settlement side's settings."""
    seed, transactions, merchants, cards = sizes
    timezone, cutoff = zone
    try:
        in_range(business_date.date())
        cutoff_time = parse_cutoff(cutoff) if cutoff else None
        if timezone is None or cutoff_time is None:
            settings = settings_or_exit()
            timezone = timezone or settings.business_timezone
            cutoff_time = cutoff_time or settings.cutoff_time
        ZoneInfo(timezone)
        return build_config(
            seed=seed,
            business_date=business_date.date(),
            transactions=transactions,
            merchants=merchants,
            cards=cards,
            rates=rates,
            currencies=currencies,
            timezone=timezone,
            cutoff=cutoff_time,
        )
    except (ValueError, ZoneInfoNotFoundError) as error:
        fail(f"pos-sim: {error}")


def in_range(day: date) -> None:
    """The settlement side's range of business dates: outside it the day's window
    arithmetic overflowed (an unexpected OverflowError)."""
    if not FIRST_BUSINESS_DATE <= day <= LAST_BUSINESS_DATE:
        raise ValueError(
            f"business date {day} outside {FIRST_BUSINESS_DATE} to {LAST_BUSINESS_DATE}"
        )


def _generate(config: DayConfig, out: Path) -> DaySummary:
    started = time.perf_counter()
    try:
        with ProgressBoard(console) as board:
            with board.stage("merchants and cards", pool_items(config), "built") as stage:
                pools = pools_for(config, stage.advance)
            with board.stage(f"generate {out}", config.transactions, "transactions") as stage:
                summary = simulate_day(config, pools, out, stage.advance)
    except (ValueError, ZoneInfoNotFoundError) as error:
        fail(f"pos-sim: {error}")
    elapsed_s = time.perf_counter() - started
    console.print(_summary_table(config, summary))
    rate = summary.transactions / elapsed_s if elapsed_s > 0 else 0.0
    console.print(f"wrote {out}/ in {elapsed_s:.1f} s ({rate:,.0f} transactions/s)")
    return summary


def _summary_table(config: DayConfig, summary: DaySummary) -> Table:
    zone = ZoneInfo(config.timezone)
    start, end = (from_ms(ms).astimezone(zone) for ms in (config.day.start_ms, config.day.end_ms))
    window = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} {zone}"
    title = f"business date {config.business_date}: {window}"
    table = Table("", "count", title=title)
    table.add_row("transactions (journal.csv)", f"{summary.transactions:,}")
    table.add_row("messages (messages.jsonl)", f"{summary.messages:,}")
    for kind, count in summary.types.items():
        table.add_row(f"  {kind}", f"{count:,}")
    for label, count in summary.labels.items():
        table.add_row(f"label {label}", f"{count:,}")
    for kind, count in summary.faults.items():
        table.add_row(f"fault {kind}", f"{count:,}")
    return table


@app.command()
def send(
    *,
    in_: Annotated[
        Path, typer.Option("--in", exists=True, dir_okay=False, help="messages.jsonl to send.")
    ],
    queue_url: QueueUrl = None,
    max_attempts: Annotated[int, typer.Option(min=1, help="Tries per message.")] = 5,
) -> None:
    """Transmit a messages.jsonl to the SQS queue, 10 per send_message_batch, with retries."""
    settings = settings_or_exit()
    sqs, url = open_queue(settings, queue_url, console)
    _check(send_file(sqs, url, in_, console, max_attempts=max_attempts))


@app.command()
def run(
    *,
    business_date: BusinessDate,
    tps: Annotated[float, typer.Option(min=0.1, help="Messages per second.")] = 20.0,
    seed: Seed = 42,
    transactions: Transactions = 1_000,
    merchants: Merchants = None,
    cards: Cards = None,
    profile: Profile = "default",
    out: Annotated[
        Path | None, typer.Option(help="Keep the day here (default: a temporary directory).")
    ] = None,
    queue_url: QueueUrl = None,
) -> None:
    """Generate a day and transmit it live at --tps, for demos."""
    settings = settings_or_exit()
    sizes = _sizes(seed, transactions, (merchants, cards), "run")
    config = _config(business_date, sizes, RateOptions(profile), currencies=None, zone=(None, None))
    with _workdir(out) as directory:
        _generate(config, directory)
        sqs, url = open_queue(settings, queue_url, console)
        _check(send_file(sqs, url, directory / MESSAGES, console, per_second=tps))


def _check(report: SendOutcome) -> None:
    """One line on stderr per message not sent, then exit 1: the rest was sent."""
    for refused in report.refused:
        print(f"pos-sim: {refused.describe()}", file=sys.stderr)
    if report.refused:
        raise typer.Exit(ExitCode.FAILED)


@contextmanager
def _workdir(out: Path | None) -> Iterator[Path]:
    if out is not None:
        yield out
        return
    with tempfile.TemporaryDirectory(prefix="pos-sim-") as tmp:
        yield Path(tmp)


@app.command("schema")
def show_schema() -> None:
    """Print the JSON Schema of the message contract cardsettle.pos.v1."""
    print(schema_text(), end="")


def main() -> None:
    """The `pos-sim` console script: every failure ends as one line (settlement/cli/boundary.py)."""
    guarded(app)
