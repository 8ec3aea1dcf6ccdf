"""The one error boundary of `settlement` and `pos-sim`: an exception becomes one line.

An expected failure (a mistyped database URL, an endpoint that is down, no AWS credentials,
an unwritable directory, a bad input file) is the operator's to fix, and a 40-line traceback
hides the one line that says how. So `guarded` turns every exception that escapes a command
into `error: ...` on stderr, naming the thing (URL with the password masked, path,
endpoint), and the exit code of `settlement.exit_codes.ExitCode`. Anything unexpected is
one line too, with a pointer to `--debug` (or `CARDSETTLE_DEBUG=1`), which re-raises so the
plain traceback shows. Third-party exception classes are recognised by their module and
name, so this module imports neither SQLAlchemy nor botocore: a command that never touched
them does not pay for importing them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from settlement.config import ConfigurationError, debug_enabled, load_settings
from settlement.domain.cards import mask_pans
from settlement.errors import OperatorError
from settlement.exit_codes import ExitCode

_DEBUG_FLAG = {"on": False}  # set by the `--debug` global option of either command
DEBUG_HINT = "run with --debug for the traceback"
_AWS_CHAIN = (
    "boto3's credential chain found none (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
    "AWS_PROFILE or ~/.aws, SSO, an instance or Lambda role)"
)


def request_debug(on: bool) -> None:
    """Called by the `--debug` option's callback, before the command runs."""
    _DEBUG_FLAG["on"] = _DEBUG_FLAG["on"] or on


def debugging() -> bool:
    return _DEBUG_FLAG["on"] or debug_enabled()


class _MaskedStderr:
    """stderr with every write passed through `mask_pans`: Typer/click print their own
    usage errors ("not a date: '4111111111111111'", "No such option: --4111..."), which
    never pass through `describe`. (A --debug traceback is printed after it is restored.)"""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(mask_pans(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def guarded(command: Callable[[], Any]) -> None:
    """Run a Typer app; an escaping exception becomes one line on stderr and an exit code."""
    stderr, sys.stderr = sys.stderr, _MaskedStderr(sys.stderr)
    try:
        command()
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as error:  # noqa: BLE001 - this is the boundary
        if debugging():
            raise
        line, code = describe(error)
        print(f"error: {line}", file=sys.stderr, flush=True)
        sys.exit(int(code))
    finally:
        sys.stderr = stderr


def describe(error: BaseException) -> tuple[str, ExitCode]:
    """The one line (PANs masked, no newline) and the exit code for an escaping exception."""
    line, code = _explain(error)
    return mask_pans(" ".join(line.split())), code


def _explain(error: BaseException) -> tuple[str, ExitCode]:
    if isinstance(error, OperatorError):
        return str(error), error.exit_code
    if isinstance(error, ConfigurationError):
        return str(error), ExitCode.USAGE
    names = {f"{kind.__module__}.{kind.__name__}" for kind in type(error).__mro__}
    for explain in (_database, _aws, _files, _rulebook):
        found = explain(error, names)
        if found is not None:
            return found
    return (
        f"unexpected {type(error).__name__}: {_first_line(error)} ({DEBUG_HINT})",
        ExitCode.FAILED,
    )


def _first_line(error: BaseException | None) -> str:
    text = str(error).strip() if error is not None else ""
    return text.splitlines()[0] if text else "(no message)"


# The drivers' own base classes: the bulk paths (COPY, executemany) call them directly.
_DRIVER_ERRORS = {"sqlalchemy.exc.DBAPIError", "psycopg.Error", "sqlite3.Error"}


def _database(error: BaseException, names: set[str]) -> tuple[str, ExitCode] | None:
    if not names & _DRIVER_ERRORS:
        return None
    reason = _first_line(getattr(error, "orig", None) or error)
    where = _configured_database()
    if names & {"sqlalchemy.exc.OperationalError", "psycopg.OperationalError",
                 "sqlite3.OperationalError"}:  # fmt: skip
        return f"database {where} unreachable or failing: {reason}", ExitCode.FAILED
    return f"database {where}: {reason}", ExitCode.FAILED


def _configured_database() -> str:
    """CARDSETTLE_DATABASE_URL with its password masked (the error itself does not say)."""
    try:
        return load_settings().masked()["CARDSETTLE_DATABASE_URL"]
    except ConfigurationError:
        return "(CARDSETTLE_DATABASE_URL)"


def _aws(error: BaseException, names: set[str]) -> tuple[str, ExitCode] | None:
    if "botocore.exceptions.NoCredentialsError" in names:
        return f"no AWS credentials: {_AWS_CHAIN}", ExitCode.USAGE
    if "botocore.exceptions.PartialCredentialsError" in names:
        return f"incomplete AWS credentials: {_first_line(error)}", ExitCode.USAGE
    if "botocore.exceptions.EndpointConnectionError" in names:
        endpoint = getattr(error, "kwargs", {}).get("endpoint_url", "?")
        return (
            f"cannot reach the SQS/S3 endpoint {endpoint}: is it running?"
            " (CARDSETTLE_AWS_ENDPOINT_URL, CARDSETTLE_AWS_MODE)",
            ExitCode.FAILED,
        )
    if "botocore.exceptions.ClientError" in names:
        return f"SQS/S3 refused the request: {_first_line(error)}", ExitCode.FAILED
    if "botocore.exceptions.BotoCoreError" in names:
        return f"SQS/S3: {_first_line(error)}", ExitCode.FAILED
    return None


def _files(error: BaseException, _names: set[str]) -> tuple[str, ExitCode] | None:
    """A file or directory that is missing, unreadable or unwritable: the user's to fix."""
    if not isinstance(error, OSError) or error.filename is None:
        return None
    reason = error.strerror or type(error).__name__
    return f"{error.filename}: {reason}", ExitCode.USAGE


def _rulebook(error: BaseException, names: set[str]) -> tuple[str, ExitCode] | None:
    if "settlement.domain.fraud.params.RulebookError" not in names:
        return None
    return f"fraud rulebook (CARDSETTLE_FRAUD_RULES_FILE): {error}", ExitCode.USAGE
