"""The root Typer app, settings loading and the error boundary shared by every command."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.table import Table

from settlement.cli.boundary import guarded, request_debug
from settlement.config import ConfigurationError, Settings, load_settings
from settlement.exit_codes import ExitCode

app = typer.Typer(
    name="settlement",
    help="cardsettle: stage card transactions from SQS and settle them at end of day.",
    no_args_is_help=True,
    add_completion=False,
    # A traceback (only under --debug) is plain Python's: rich's shows local variables,
    # which may hold a message body, and so a PAN.
    pretty_exceptions_enable=False,
)
console = Console()


@app.callback()
def _global_options(
    debug: bool = typer.Option(
        False, "--debug", help="Show the traceback of a failure (also CARDSETTLE_DEBUG=1)."
    ),
) -> None:
    request_debug(debug)


def settings_or_exit() -> Settings:
    """Load settings; a bad value stops the command with one line on stderr and exit code 2."""
    try:
        return load_settings()
    except ConfigurationError as error:
        print(str(error), file=sys.stderr)
        raise typer.Exit(ExitCode.USAGE) from None


@app.command("config")
def show_config() -> None:
    """Print the effective settings (secrets masked)."""
    settings = settings_or_exit()
    table = Table("setting", "value", title="cardsettle configuration")
    for name, value in settings.masked().items():
        table.add_row(name, value)
    console.print(table)


def main() -> None:
    """The `settlement` console script: every failure ends as one line (see cli/boundary.py)."""
    guarded(app)
