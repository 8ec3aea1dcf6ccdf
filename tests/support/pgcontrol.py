"""A PostgreSQL cluster a test may stop and start again, for database-outage tests.

The session cluster of tests/support/pgcluster.py is shared by every storage test, so an
outage test gets its own: same binaries, same root handling, plus `stop()` and `start()`.
It keeps its port and socket directory across restarts, so clients reconnect with the URL
they were given. A URL from CARDSETTLE_TEST_PG_URL cannot be stopped by us: it is not used.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.pgcluster import PostgresUnavailable, _free_port, _run, find_bindir


@dataclass(frozen=True, slots=True)
class ControlledCluster:
    bindir: Path
    base: Path
    port: int

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def sockets(self) -> Path:
        return self.base / "sock"

    @property
    def url(self) -> str:
        """Superuser URL of the `postgres` database over the private Unix socket."""
        return f"postgresql+psycopg://postgres@/postgres?host={self.sockets}&port={self.port}"

    def start(self) -> float:
        """Start the server and wait until it accepts connections; returns the seconds taken."""
        started = time.perf_counter()
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        log = str(self.base / "log")
        _run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", log, "-w", "-o", options,
              "start"])  # fmt: skip
        return time.perf_counter() - started

    def stop(self, mode: str = "fast") -> float:
        """Stop the server (`fast`: roll back open transactions, drop every connection)."""
        started = time.perf_counter()
        _run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])
        return time.perf_counter() - started


@contextmanager
def controlled_cluster() -> Iterator[ControlledCluster]:
    """A private running cluster; stopped (if still up) and deleted afterwards."""
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable("no PostgreSQL server binaries to start a private cluster")
    base = Path(tempfile.mkdtemp(prefix="cardsettle-pgctl-"))
    cluster = ControlledCluster(bindir, base, _free_port())
    cluster.sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(cluster.sockets, "postgres")
    try:
        _run([str(bindir / "initdb"), "-D", str(cluster.data), "-U", "postgres", "--auth=trust",
              "-E", "UTF8", "--locale=C.UTF-8"])  # fmt: skip
        cluster.start()
        try:
            yield cluster
        finally:
            if (cluster.data / "postmaster.pid").exists():
                cluster.stop("immediate")
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def outage_cluster() -> Iterator[ControlledCluster]:
    """`controlled_cluster` for a test: skipped locally without PostgreSQL, failed in CI."""
    import pytest  # noqa: PLC0415 - only tests call this

    try:
        with controlled_cluster() as cluster:
            yield cluster
    except PostgresUnavailable as error:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"PostgreSQL is required in CI: {error}")
        pytest.skip(f"PostgreSQL unavailable: {error}")
