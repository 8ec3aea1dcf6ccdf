"""What keeps tests/unit pure: no database, no moto, no subprocess, no network, no browser.

`make unit` promises the whole tier in seconds; one test that opens a database file, starts a
process or dials a socket would quietly break that promise (and its speed) without failing.
So tests/unit/conftest.py puts every test under `forbid_impure_calls`: the doors out of the
process (sockets, DNS, process spawning, sqlite3 and psycopg connections) raise
`ImpureUnitTest`, and because code under test may catch a broad `Exception` (the CLI's
error boundary does, by design), each attempt is also recorded and the test fails at its end
even when the raise was swallowed. moto and Selenium are kept out by import
(tests/unit/test_suite_layout.py) since mock_aws opens no socket.

A test that needs any of these belongs in tests/integration or tests/e2e.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import sqlite3.dbapi2
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

FORBIDDEN_IN_UNIT = {"moto", "selenium"}


class ImpureUnitTest(AssertionError):
    """A unit test reached outside the process; it belongs in tests/integration."""


def _doors() -> list[tuple[object, str, str]]:
    """(owner, attribute, what it is) of every way out this guard closes."""
    return [
        (socket.socket, "connect", "a network connection"),
        (socket.socket, "connect_ex", "a network connection"),
        (socket.socket, "bind", "a listening socket"),
        (socket, "getaddrinfo", "a DNS lookup"),
        (subprocess.Popen, "__init__", "a subprocess"),
        (os, "system", "a subprocess"),
        (os, "fork", "a forked process"),
        (os, "posix_spawn", "a spawned process"),
        (os, "posix_spawnp", "a spawned process"),
        (sqlite3, "connect", "a SQLite database"),
        (sqlite3.dbapi2, "connect", "a SQLite database"),
        (psycopg, "connect", "a PostgreSQL database"),
        (psycopg.Connection, "connect", "a PostgreSQL database"),
    ]


def _closed(what: str, attempts: list[str]) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(what)
        raise ImpureUnitTest(f"a unit test opened {what}; move it to tests/integration")

    return refuse


@contextmanager
def forbid_impure_calls() -> Iterator[list[str]]:
    """Close the doors for the duration; yields the list of attempts made meanwhile."""
    attempts: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        for owner, name, what in _doors():
            if hasattr(owner, name):
                patch.setattr(owner, name, _closed(what, attempts))
        yield attempts
