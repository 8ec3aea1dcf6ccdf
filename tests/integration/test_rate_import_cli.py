"""`settlement rates import` run as a user runs it: an ECB file as downloaded, a file that is
none, and `--from-url` against a loopback HTTP server (there is no internet here)."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from settlement.adapters.rates import RateDownloadError, downloaded
from settlement.exit_codes import ExitCode
from tests.support.ecb_rate_files import HIST_90D_XML, HIST_CSV, HTML_PAGE


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A window of 100,000 days: the fixtures' 2026 dates never age out of it (no time bomb).
    env = {**os.environ, "CARDSETTLE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "CARDSETTLE_TIME_MAX_AGE_DAYS": "100000",
           "COLUMNS": "80"}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "settlement", "rates", "import", *args], env=env, cwd=tmp_path,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """A loopback HTTP server over tmp_path/www; yields its base URL."""
    www = tmp_path / "www"
    www.mkdir()
    (www / "eurofxref-hist-90d.xml").write_text(HIST_90D_XML, encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_ecb_history_csv_as_downloaded(tmp_path: Path) -> None:
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(HIST_CSV, encoding="utf-8")
    done = _run(tmp_path, str(path))
    assert done.returncode == ExitCode.DONE, done.stdout + done.stderr
    assert "rates (ECB CSV): read 21, written 18, rejected 0, skipped 3 (3 N/A or empty)" in (
        done.stdout
    )
    assert "columns skipped, not current ISO 4217 currencies: CYP" in done.stdout
    again = _run(tmp_path, str(path))
    assert "written 0, already imported 18" in again.stdout and again.returncode == 0


@pytest.mark.parametrize("content", [HTML_PAGE, "x,y\n1,2\n"])
def test_a_file_that_is_no_rate_file_exits_failed_in_one_line(tmp_path: Path, content: str) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(content, encoding="utf-8")
    done = _run(tmp_path, str(path))
    assert done.returncode == ExitCode.FAILED
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and "nothing written" in lines[0], done.stdout
    assert "eurofxref-hist.csv" in lines[0] and "date,currency,units_per_eur" in lines[0]
    assert "Traceback" not in done.stderr


def test_from_url_reads_a_served_file(tmp_path: Path, served: str) -> None:
    done = _run(tmp_path, "--from-url", f"{served}/eurofxref-hist-90d.xml")
    assert done.returncode == ExitCode.DONE, done.stdout + done.stderr
    assert "rates (ECB XML): read 9, written 9, rejected 0" in done.stdout


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("file:///etc/passwd", "takes an http or https URL"),
        ("ftp://127.0.0.1/x.csv", "takes an http or https URL"),
        ("{served}/missing.xml", "HTTP 404"),
        ("http://127.0.0.1:9/x.xml", "cannot download"),
    ],
)
def test_from_url_failures_are_one_line(tmp_path: Path, served: str, url: str, says: str) -> None:
    done = _run(tmp_path, "--from-url", url.format(served=served))
    assert done.returncode == ExitCode.FAILED, done.stdout + done.stderr
    assert says in done.stdout and "Traceback" not in done.stderr, done.stdout + done.stderr


def test_a_download_is_capped(served: str) -> None:
    with pytest.raises(RateDownloadError, match="more than 100 bytes"):
        list(downloaded(f"{served}/eurofxref-hist-90d.xml", max_bytes=100))


def test_file_or_url_one_of_them(tmp_path: Path) -> None:
    done = _run(tmp_path)
    assert done.returncode != 0 and "give a FILE or --from-url" in done.stdout + done.stderr
