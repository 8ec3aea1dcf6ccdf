"""Fixtures of the end-to-end suite: one moto server for the session, reset per test.

The server is `settlement aws-local` itself, started as a user would, so the suite also
proves that command and the exports it prints.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import pytest


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
