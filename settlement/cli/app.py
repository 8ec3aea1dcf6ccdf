"""The root Typer app, settings loading and the error boundary shared by every command."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.table import Table

from settlement.config import ConfigurationError, Settings, load_settings

app = typer.Typer(
    name="settlement",
    help="cardsettle: stage card transactions from SQS and settle them at end of day.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()


def settings_or_exit() -> Settings:
    """Load settings; a bad value stops the command with one line on stderr and exit code 2."""
    try:
        return load_settings()
    except ConfigurationError as error:
        print(str(error), file=sys.stderr)
        raise typer.Exit(2) from None


@app.command("config")
def show_config() -> None:
    """Print the effective settings (secrets masked)."""
    settings = settings_or_exit()
    table = Table("setting", "value", title="cardsettle configuration")
    for name, value in settings.masked().items():
        table.add_row(name, value)
    console.print(table)


def main() -> None:
    try:
        app()
    except ConfigurationError as error:  # settings loaded lazily deep inside a command
        print(str(error), file=sys.stderr)
        sys.exit(2)
