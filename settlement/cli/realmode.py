"""`settlement aws-local`: a moto server on loopback, the SQS/S3 endpoint of real mode.

Real mode on one machine is several processes (consumers, scheduler, traffic) sharing one
queue, so the in-process moto of embedded mode will not do: they need a server. This runs
moto's `ThreadedMotoServer` in the foreground until SIGINT/SIGTERM and prints the exports
the other terminals need. moto accepts any credentials, but boto3 in real mode uses its
normal credential chain and refuses to sign without some, hence the dummy pair.
"""

from __future__ import annotations

import logging
import signal
import threading

import typer

from settlement.cli.app import app
from settlement.exit_codes import ExitCode

_ANY_ADDRESS = {"0.0.0.0", "::", ""}  # a wildcard bind is reached through loopback


def exports(host: str, port: int) -> list[str]:
    """The shell lines that point every cardsettle process at this server."""
    reachable = "127.0.0.1" if host in _ANY_ADDRESS else host
    return [
        f"export CARDSETTLE_AWS_ENDPOINT_URL=http://{reachable}:{port}",
        "export AWS_ACCESS_KEY_ID=testing",
        "export AWS_SECRET_ACCESS_KEY=testing",
    ]


def _wait_for_stop_signal() -> None:
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda _signum, _frame: stop.set())
    try:
        while not stop.wait(0.5):  # a timed wait keeps the main thread responsive to signals
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@app.command("aws-local")
def aws_local(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (keep it loopback)."),
    port: int = typer.Option(5000, min=0, max=65_535, help="TCP port; 0 = any free port."),
    log_requests: bool = typer.Option(False, help="Log every HTTP request (noisy under load)."),
) -> None:
    """Run a moto server (SQS, S3) until Ctrl-C and print the exports for other terminals."""
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 - only this command needs it

    if not log_requests:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    try:
        server.start()
    except OSError as error:
        typer.echo(f"cannot listen on {host}:{port}: {error.strerror}", err=True)
        raise typer.Exit(ExitCode.FAILED) from None
    bound_host, bound_port = server.get_host_and_port()
    typer.echo(f"# moto server on {bound_host}:{bound_port}; Ctrl-C stops it. In other terminals:")
    for line in exports(bound_host, bound_port):
        typer.echo(line)
    _wait_for_stop_signal()
    server.stop()
    typer.echo("# moto server stopped", err=True)
