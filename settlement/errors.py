"""Expected failures an operator can cause or fix, each with its one-line message and exit code.

Raised anywhere below the entry points (adapters, the end of day) and turned into one line on
stderr by the error boundary of `settlement` and `pos-sim` (settlement/cli/boundary.py), so a
mistyped URL or a missing file never reaches the user as a traceback. The message names the
thing (a URL with its password masked, a path, an endpoint) and says what to do about it.
"""

from __future__ import annotations

from settlement.exit_codes import ExitCode


class OperatorError(Exception):
    """An expected failure: `str(error)` is the whole message, `exit_code` the verdict."""

    exit_code = ExitCode.FAILED


class DatabaseNotReady(OperatorError):
    """The configured database is missing, unmigrated, partly migrated or someone else's:
    a configuration mistake, so nothing was created or changed."""

    exit_code = ExitCode.USAGE


class DatabaseUnreachable(OperatorError):
    """The database did not answer (refused, unknown host, unopenable SQLite file)."""


class DatabaseReplaced(OperatorError):
    """The SQLite file was deleted or replaced while a run wrote to it: what the run
    committed went to a file that is no longer the configured database."""


class BadInput(OperatorError):
    """An input file is missing, unreadable or malformed (the message names file and line)."""

    exit_code = ExitCode.USAGE


class OutputNotWritable(OperatorError):
    """An output directory or file cannot be written; checked before anything is changed."""

    exit_code = ExitCode.USAGE


class PayoutFileConflict(OperatorError):
    """A payout file holds another run's payouts and only `--rerun` may replace it."""
