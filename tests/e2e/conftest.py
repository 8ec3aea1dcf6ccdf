"""Fixtures of the end-to-end suite: one moto server for the session, reset per test, and a
PAN sweep after every test.

The server is `settlement aws-local` itself, started as a user would, so the suite also
proves that command and the exports it prints.

The sweep (`pan_sweep`, on for every e2e test): when a test ends, every file it left in its
directory (logs, reports, SQLite files with their -wal and -shm, whatever else) is searched
for the PANs it sent, in any spelling, and for any Luhn-valid run in text; a finding fails
the test. What does not outlive the test's own fixtures (a PostgreSQL scratch database, the
queues) is swept by the fixture or rig that owns it, into the same scanner, before it goes.
The suite's totals are printed at the end.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.messages import TEST_PANS
from tests.support.pan_scan import PanScanner


def _exports(process: subprocess.Popen[str]) -> dict[str, str]:
    assert process.stdout is not None
    found: dict[str, str] = {}
    while len(found) < 3:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"aws-local exited {process.wait()} before printing its exports")
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").strip().partition("=")
            found[name] = value
    return found


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """`settlement aws-local --port 0` in its own process; yields the endpoint it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "settlement", "aws-local", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        exports = _exports(process)
        assert exports["AWS_ACCESS_KEY_ID"] and exports["AWS_SECRET_ACCESS_KEY"]
        endpoint = exports["CARDSETTLE_AWS_ENDPOINT_URL"]
        assert endpoint.startswith("http://127.0.0.1:")
        yield endpoint
    finally:
        process.terminate()
        code = process.wait(timeout=15)
        assert process.stdout is not None
        process.stdout.close()
        assert code == 0, "aws-local did not stop cleanly on SIGTERM"


@pytest.fixture
def aws_endpoint(moto_endpoint: str) -> str:
    """The session's moto server with every queue and bucket of earlier tests gone."""
    request = urllib.request.Request(moto_endpoint + "/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    return moto_endpoint


@pytest.fixture(scope="session")
def _pan_sweep_totals(pytestconfig: pytest.Config) -> Iterator[dict[str, int]]:
    totals = {"tests": 0, "artefacts": 0, "pans_looked_for": 0, "findings": 0}
    yield totals
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:  # past pytest's capture, like the tests' own [e2e] figures
        reporter.write_line(f"[e2e] PAN sweep: {totals}")


@pytest.fixture(autouse=True)
def pan_sweep(tmp_path: Path, _pan_sweep_totals: dict[str, int]) -> Iterator[PanScanner]:
    """The test's scanner: add what was sent to `.sent`, inputs to `.inputs`; scan more
    with it before a fixture drops what it owns. At teardown: `tmp_path`, then the verdict."""
    scanner = PanScanner(TEST_PANS)
    yield scanner
    scanner.tree(tmp_path)
    totals = _pan_sweep_totals
    totals["tests"] += 1
    totals["artefacts"] += len(scanner.scanned)
    totals["pans_looked_for"] = max(totals["pans_looked_for"], len(scanner.sent))
    totals["findings"] += len(scanner.findings)
    if scanner.scanned:
        scanner.assert_clean()
