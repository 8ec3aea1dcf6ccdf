"""`settlement db ...`: schema migrations (Alembic is imported only when one runs)."""

from __future__ import annotations

import typer

from settlement.cli.app import app, console, settings_or_exit

db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Migrate the configured database to REVISION (default: the newest)."""
    from settlement.adapters import database  # noqa: PLC0415 - Alembic is slow to import

    settings = settings_or_exit()
    database.upgrade(settings.database_url, revision)
    console.print(f"database at revision {revision}")


@db_app.command("downgrade")
def downgrade(
    revision: str = typer.Argument(..., help="Target revision, e.g. -1 or base."),
) -> None:
    """Migrate the configured database down to REVISION."""
    from settlement.adapters import database  # noqa: PLC0415

    settings = settings_or_exit()
    database.require_file(settings.database_url)  # downgrading nothing would create a file
    database.downgrade(settings.database_url, revision)
    console.print(f"database at revision {revision}")
