"""The end of day as a container task: `python -m settlement.entrypoints.eod_task`.

The home for business days past the end-of-day Lambda's 15 minutes (deploy/template.yaml
runs it on ECS Fargate when `EodEngine` is `fargate`; docs/operations.md#aws). It is the
Lambda's end of day, not a copy: the flags become the Lambda's event, and
`settlement.entrypoints.lambdas.run_and_publish` runs it, so "which date to close"
(`settlement.eod.lambda_event.last_closed_business_date`), the run guard and the payout
upload have one home for both engines. The scheduled task passes no flags: the last
business date whose cutoff has passed, read from the clock at start.

A task has no caller to return a result to: the run's summary is one JSON line on stdout
(CloudWatch Logs), and its verdict is the process's exit code, which ECS records as the
container's `exitCode` (`settlement.exit_codes`): 0 done; 3 refused on purpose, nothing
changed (already completed, running elsewhere, cutoff not passed, no traffic), which is
not a failure, as the Lambda returns normally for it; 1 the run failed (recorded in
eod_runs, nothing committed, the next firing runs it again); 2 bad settings or flags.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from settlement.adapters.clock import Clock, utc_now
from settlement.config import ConfigurationError, Settings, debug_enabled, load_settings
from settlement.domain.cards import mask_pans
from settlement.errors import OperatorError
from settlement.exit_codes import ExitCode

if TYPE_CHECKING:
    from sqlalchemy import Engine

OWNER = "ecs"  # eod_runs.owner, beside the Lambda's "lambda:<request id>"


def event_from_argv(argv: Sequence[str]) -> dict[str, Any]:
    """The Lambda event the flags stand for (an operator's `aws ecs run-task` override)."""
    parser = argparse.ArgumentParser(
        prog="python -m settlement.entrypoints.eod_task",
        description="Run the end of day once; no --date: the last business date closed.",
    )
    parser.add_argument("--date", dest="business_date", help="Business date, YYYY-MM-DD.")
    parser.add_argument("--rerun", action="store_true", help="Replace a completed date.")
    parser.add_argument("--allow-empty", action="store_true", help="Close a day without traffic.")
    flags = parser.parse_args(list(argv))
    event: dict[str, Any] = {"rerun": flags.rerun, "allow_empty": flags.allow_empty}
    if flags.business_date is not None:
        event["business_date"] = flags.business_date
    return event


def run_task(
    event: dict[str, Any], settings: Settings, engine: Engine, clock: Clock, owner: str = OWNER
) -> ExitCode:
    """Run the Lambda's end of day for `event`; print its summary; the verdict as exit code."""
    from settlement.entrypoints.lambdas import run_and_publish  # noqa: PLC0415
    from settlement.eod.lambda_event import InvalidEvent, summary  # noqa: PLC0415

    try:
        report, keys = run_and_publish(event, settings, engine, clock, owner, screen_aside=True)
    except InvalidEvent as error:
        return _say(f"end of day not run: {error}", ExitCode.USAGE)
    except OperatorError as error:
        return _say(f"end of day not run: {error}", error.exit_code)
    print(json.dumps(summary(report, keys), default=str), flush=True)
    return report.exit_code


def main(argv: Sequence[str] | None = None, clock: Clock = utc_now) -> int:
    """The container's command: settings and the database here, the run in `run_task`."""
    event = event_from_argv(sys.argv[1:] if argv is None else argv)
    try:
        settings = load_settings()
        engine = _open_engine(settings)
    except ConfigurationError as error:
        return _say(str(error), ExitCode.USAGE)
    except OperatorError as error:
        return _say(f"end of day not run: {error}", error.exit_code)
    try:
        return run_task(event, settings, engine, clock, f"{OWNER}:{socket.gethostname()}")
    except Exception as error:  # the run failed: eod_runs records it, nothing committed
        if debug_enabled():
            raise
        return _say(f"end of day failed: {type(error).__name__}: {error}", ExitCode.FAILED)
    finally:
        engine.dispose()


def _open_engine(settings: Settings) -> Engine:
    from settlement.adapters import database  # noqa: PLC0415 - after the flags are read

    return database.open_existing(settings.database_url)  # never creates one, as the Lambda


def _say(line: str, code: ExitCode) -> ExitCode:
    """One line on stderr (PANs masked in any spelling), and the exit code it ends with."""
    print(mask_pans(line), file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
