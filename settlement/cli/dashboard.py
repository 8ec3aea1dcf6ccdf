"""`settlement dashboard`: the live view of the pipeline on http://127.0.0.1:8765/, and
`live_demo`, the same view served from inside `settlement demo --live`.

It reads the database (read-only: see settlement/adapters/live_reads.py) and the queues,
and never writes. The web stack (Starlette, uvicorn) is imported only when a view starts.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from settlement.cli.app import app, console, settings_or_exit
from settlement.config import Settings
from settlement.exit_codes import ExitCode

if TYPE_CHECKING:
    from settlement.adapters.queue_depth import QueueReading

DEFAULT_PORT = 8765
_EMBEDDED_ELSEWHERE = (
    "the embedded SQS (moto) lives inside the process that sends and consumes, so this one"
    " cannot see it: run `settlement demo --live`, or use an endpoint (settlement aws-local)"
)


@app.command("dashboard")
def dashboard(
    port: int = typer.Option(DEFAULT_PORT, help="TCP port (0: any free port)."),
    host: str = typer.Option(
        "127.0.0.1", help="Address to listen on (loopback unless --allow-remote)."
    ),
    allow_remote: bool = typer.Option(
        False, "--allow-remote", help="Allow a non-loopback --host: the page shows payment figures."
    ),
) -> None:
    """Serve the live view of the queue, the gateway and the end of day until Ctrl-C."""
    if not 0 <= port <= 65_535:
        _usage(f"--port {port} is not a TCP port (0-65535)")
    from settlement.dashboard.server import is_loopback  # noqa: PLC0415 - small, but not for every command

    if not is_loopback(host) and not allow_remote:
        _usage(f"--host {host} is not a loopback address; the page shows payment figures and "
               "serves the reports: add --allow-remote to listen there anyway")  # fmt: skip
    settings = settings_or_exit()
    with live_view(settings, host, port, in_process=False) as url:
        console.print(f"live view: [bold]{url}[/bold]  (reads only; Ctrl-C stops it)")
        sys.stdout.flush()  # the URL now, also through a pipe
        _until_interrupted()


def _usage(line: str) -> None:
    print(f"error: {line}", file=sys.stderr, flush=True)
    raise typer.Exit(ExitCode.USAGE)


def _until_interrupted() -> None:
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        console.print("live view stopped")


@contextmanager
def live_view(settings: Settings, host: str, port: int, *, in_process: bool) -> Iterator[str]:
    """The view served in a background thread while the block runs; yields its URL.
    `in_process`: the view shares this process with the pipeline (the demo), so it may
    read the embedded SQS, and the database may not exist yet."""
    from settlement.adapters.aws import describe_target  # noqa: PLC0415
    from settlement.adapters.clock import utc_now  # noqa: PLC0415
    from settlement.adapters.database import masked_url  # noqa: PLC0415
    from settlement.adapters.live_reads import read_only_engine, require_readable  # noqa: PLC0415
    from settlement.dashboard.app import create_app  # noqa: PLC0415
    from settlement.dashboard.server import serving  # noqa: PLC0415
    from settlement.dashboard.state import LiveState, Sources  # noqa: PLC0415

    url = settings.database_url
    engine = read_only_engine(url)
    try:
        if not in_process:
            require_readable(url, engine)
        sock = _listen(host, port, any_port_if_taken=in_process)
        sources = Sources(
            engine, masked_url(url), _queue_reader(settings, in_process),
            describe_target(settings), settings.reports_dir, utc_now, time.monotonic,
        )  # fmt: skip
        live = create_app(LiveState(sources), settings.reports_dir, hosts=(host,))
        with serving(live, sock) as address:
            yield address
    finally:
        engine.dispose()


def _listen(host: str, port: int, *, any_port_if_taken: bool) -> socket.socket:
    from settlement.dashboard.server import CannotListen, bind  # noqa: PLC0415

    try:
        return bind(host, port)
    except CannotListen:
        if not any_port_if_taken:
            raise
        return bind(host, 0)


def _queue_reader(settings: Settings, in_process: bool) -> Callable[[], QueueReading]:
    from settlement.adapters.queue_depth import QueueNames, QueueReading, read_queues  # noqa: PLC0415

    if settings.aws_mode == "embedded" and not in_process:
        return lambda: QueueReading(None, None, _EMBEDDED_ELSEWHERE)
    names = QueueNames(settings.queue_name, settings.dlq_name)
    client: list[Any] = []

    def read() -> QueueReading:
        from settlement.adapters.aws import sqs_client  # noqa: PLC0415 - boto3 on first read

        if not client:
            client.append(sqs_client(settings))
        return read_queues(client[0], names)

    return read


@contextmanager
def live_demo(settings: Settings, enabled: bool) -> Iterator[None]:
    """`settlement demo --live`: the view for the demo's run, from the demo's own process
    (the embedded SQS is visible only there), on port 8765 or any free one if it is taken.
    When the demo is done and this is a terminal, the page stays up with the final state
    and the report's link until Ctrl-C; otherwise (a script, a test, CI) it stops at once."""
    if not enabled:
        yield
        return
    with live_view(settings, "127.0.0.1", DEFAULT_PORT, in_process=True) as url:
        console.print(f"live view: [bold]{url}[/bold]")
        sys.stdout.flush()
        yield
        if sys.stdin.isatty() and sys.stdout.isatty():
            console.print(f"the live view stays up at {url} with the final state and the"
                          " report's link; Ctrl-C stops it")  # fmt: skip
            _until_interrupted()
