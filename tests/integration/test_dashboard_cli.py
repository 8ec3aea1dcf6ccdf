"""`settlement dashboard` and `settlement demo --live` as a user runs them: hostile inputs are
one line and an exit code, the server answers only what it should, Ctrl-C stops it, and the
demo's view serves while the demo runs and goes away when it ends (no test hangs on it)."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from settlement.adapters import database
from settlement.exit_codes import ExitCode
from tests.support.cli_run import assert_one_line, clean_env, closed_port, run_cli

URL = re.compile(r"live view: (http://127\.0\.0\.1:\d+/)")


def migrated(path: Path) -> str:
    url = f"sqlite:///{path}"
    database.upgrade(url)
    return url


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    env = clean_env(tmp_path, CARDSETTLE_DATABASE_URL=migrated(tmp_path / "c.db"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = run_cli("settlement", ["dashboard", "--port", str(port)], env, tmp_path)
    assert_one_line(done, ExitCode.USAGE, f"127.0.0.1:{port}", "in use", "--port")


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_a_port_out_of_range_is_one_line(tmp_path: Path, port: str) -> None:
    env = clean_env(tmp_path, CARDSETTLE_DATABASE_URL=migrated(tmp_path / "c.db"))
    done = run_cli("settlement", ["dashboard", "--port", port], env, tmp_path)
    assert_one_line(done, ExitCode.USAGE, f"--port {port}", "0-65535")


def test_a_non_loopback_host_is_refused_unless_asked(tmp_path: Path) -> None:
    env = clean_env(tmp_path, CARDSETTLE_DATABASE_URL=migrated(tmp_path / "c.db"))
    done = run_cli("settlement", ["dashboard", "--host", "0.0.0.0"], env, tmp_path)
    assert_one_line(done, ExitCode.USAGE, "0.0.0.0", "loopback", "--allow-remote")


def _not_a_database(path: Path) -> None:
    path.write_text("merchant_id,name\nM1,Shop\n")


def _empty(path: Path) -> None:
    path.write_bytes(b"")


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        (None, ("no such file", "settlement db upgrade")),
        (_not_a_database, ("cannot be read", "not a database")),
        (_empty, ("no cardsettle schema",)),
    ],
    ids=["missing", "not-a-database", "empty"],
)
def test_a_database_it_cannot_show_is_one_line_and_untouched(
    tmp_path: Path, make: Any, fragments: tuple[str, ...]
) -> None:
    path = tmp_path / "c.db"
    if make is not None:
        make(path)
    before = path.read_bytes() if path.exists() else None
    env = clean_env(tmp_path, CARDSETTLE_DATABASE_URL=f"sqlite:///{path}")
    done = run_cli("settlement", ["dashboard", "--port", "0"], env, tmp_path)
    assert_one_line(done, ExitCode.USAGE, str(path), *fragments)
    assert (path.read_bytes() if path.exists() else None) == before


@pytest.mark.postgres
def test_an_unreachable_postgresql_is_one_line(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://cardsettle:pw@127.0.0.1:{closed_port()}/cardsettle"
    env = clean_env(tmp_path, CARDSETTLE_DATABASE_URL=url)
    done = run_cli("settlement", ["dashboard", "--port", "0"], env, tmp_path)
    line = assert_one_line(done, ExitCode.FAILED, "unreachable")
    assert "pw@" not in line


def _get(url: str, host: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _read_url(process: subprocess.Popen[str], lines: list[str]) -> str:
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        found = URL.search(line)
        if found:
            return found[1]
    raise AssertionError(f"exited {process.wait()} without a URL:\n{''.join(lines)}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    """`settlement dashboard --port 0` on a migrated database, with a report file there."""
    env = clean_env(tmp_path, CARDSETTLE_DATABASE_URL=migrated(tmp_path / "c.db"))
    (tmp_path / "reports" / "2026-10-14").mkdir(parents=True)
    (tmp_path / "reports" / "2026-10-14" / "report.html").write_text("<p>the report</p>")
    (tmp_path / "reports" / "secret.txt").write_text("not served")
    process = subprocess.Popen(
        [sys.executable, "-m", "settlement", "dashboard", "--port", "0"], env=env, cwd=tmp_path,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        yield process, _read_url(process, []), tmp_path
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


def test_the_server_answers_only_what_it_should_and_stops_on_ctrl_c(
    served: tuple[subprocess.Popen[str], str, Path],
) -> None:
    process, url, _tmp = served
    status, page = _get(url)
    assert status == 200 and b"cardsettle live" in page and b"<script" in page
    assert b"http://" not in page.replace(b"http://www.w3.org/2000/svg", b"")  # nothing remote
    status, body = _get(url + "api/state")
    state = json.loads(body)
    assert status == 200 and state["database"]["problem"] is None
    assert state["totals"]["staged"] == 0 and state["eod"] is None
    assert "embedded SQS" in state["queue"]["problem"]  # another process's moto: not visible
    assert _get(url + "reports/2026-10-14/report.html") == (200, b"<p>the report</p>")
    for hostile in ("reports/2026-10-14/..%2Fsecret.txt", "reports/..%2F2026-10-14/report.html",
                    "reports/2026-10-14/.hidden", "reports/not-a-date/report.html"):  # fmt: skip
        assert _get(url + hostile)[0] == 404, hostile
    assert _get(url + "api/state", host="attacker.example")[0] == 400  # DNS rebinding
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 0
    assert process.stdout is not None and "live view stopped" in process.stdout.read()


def test_demo_live_serves_while_the_demo_runs_then_ends(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    argv = [sys.executable, "-m", "settlement", "demo", "--live", "-n", "80", "--no-compare"]
    process = subprocess.Popen(
        argv, env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        url = _read_url(process, lines)
        status, body = _get(url + "api/state")  # the demo is still running: it prints more
        assert status == 200 and json.loads(body)["queue"]["target"] == "moto (in-process)"
        assert process.stdout is not None
        lines.extend(process.stdout)  # to the end: stdin is no terminal, so it does not linger
        assert process.wait(timeout=120) == 0, "".join(lines)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()
    assert any("report:" in line for line in lines)
    deadline = time.monotonic() + 10
    with pytest.raises(urllib.error.URLError):
        while time.monotonic() < deadline:  # the server went with the process
            _get(url + "api/state")
            time.sleep(0.2)
