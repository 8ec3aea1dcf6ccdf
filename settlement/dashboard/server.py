"""Serve the live view with uvicorn on a socket bound here, in a background thread.

The socket is bound before the server starts, so a port in use or a host that cannot be
bound is an error the command reports in one line (uvicorn would log it and exit the
process), port 0 picks a free port (the tests use it) and the URL printed is the real one.
A thread, so `settlement demo --live` can serve from the demo's own process: with the
embedded SQS the queue exists only there.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from settlement.errors import OperatorError
from settlement.exit_codes import ExitCode

if TYPE_CHECKING:
    from starlette.applications import Starlette

_STOP_WAIT_S = 5.0


class CannotListen(OperatorError):
    """The address cannot be listened on (in use, not this machine's, not loopback)."""

    exit_code = ExitCode.USAGE


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or CannotListen with the reason in one line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(64)
    except OSError as error:
        sock.close()
        reason = error.strerror or str(error)
        raise CannotListen(
            f"cannot listen on {host}:{port}: {reason}"
            + (" (another dashboard? choose one with --port)" if error.errno == 98 else "")
        ) from None
    return sock


@contextmanager
def serving(app: Starlette, sock: socket.socket) -> Iterator[str]:
    """uvicorn on `sock` in a daemon thread until the block ends."""
    import uvicorn  # noqa: PLC0415 - only this command pays for it

    config = uvicorn.Config(
        app, log_level="warning", access_log=False, log_config=None, lifespan="off",
        timeout_graceful_shutdown=1,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="dashboard", daemon=True
    )
    thread.start()
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    try:
        yield f"http://{shown}:{port}/"
    finally:
        server.should_exit = True
        thread.join(_STOP_WAIT_S)
        sock.close()
