"""A throwaway PostgreSQL cluster for tests and benchmarks.

Uses CARDSETTLE_TEST_PG_URL when given. Otherwise, where PostgreSQL server binaries exist,
initdb + pg_ctl a cluster in a temp dir on a free port with a private socket dir and fsync
off. The server refuses to run as root, so as root every command runs as the `postgres` OS
user through `runuser`.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

URL_ENV = "CARDSETTLE_TEST_PG_URL"


class PostgresUnavailable(RuntimeError):
    """No URL given and no server binaries to start a cluster with."""


def find_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for candidate in candidates:
        if (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def _version_key(path: str) -> int:
    part = Path(path).parent.name
    return int(part) if part.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def _run(argv: list[str]) -> None:
    result = subprocess.run(_as_postgres(argv), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({result.returncode}): {result.stderr.strip()}")


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Yield a superuser URL to a running cluster; stop and delete it afterwards."""
    given = os.environ.get(URL_ENV)
    if given:
        yield given
        return
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable("no PostgreSQL server binaries and no " + URL_ENV)
    base = Path(tempfile.mkdtemp(prefix="cardsettle-pg-"))
    data, sockets = base / "data", base / "sock"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    try:
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )
        options = (
            f"-p {port} -k {sockets} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        _run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(base / "log"),
                "-w",
                "-o",
                options,
                "start",
            ]
        )
        try:
            yield f"postgresql+psycopg://postgres@/postgres?host={sockets}&port={port}"
        finally:
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new empty database on the cluster, dropped afterwards; yields its URL."""
    name = "t_" + uuid.uuid4().hex[:16]
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(server_url).set(database=name)
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
