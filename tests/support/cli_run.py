"""Run `settlement` / `pos-sim` as a user does (the console scripts, a clean environment) and
check the error contract: exactly one line on stderr, no traceback, the exit code."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent


@dataclass(frozen=True, slots=True)
class Done:
    code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def clean_env(cwd: Path, **settings: str) -> dict[str, str]:
    """The caller's environment without any cardsettle or AWS setting, plus `settings`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CARDSETTLE_", "AWS_"))
    }
    env.update(HOME=str(cwd), COLUMNS="200", AWS_EC2_METADATA_DISABLED="true")
    env.update(settings)
    return env


def run_cli(program: str, args: list[str], env: dict[str, str], cwd: Path) -> Done:
    done = subprocess.run(
        [str(BIN / program), *args], env=env, cwd=cwd, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    return Done(done.returncode, done.stdout, done.stderr)


def assert_one_line(done: Done, code: int, *fragments: str) -> str:
    """The failure is one `error:`-style line naming what it must name; returns it."""
    context = f"exit {done.code}\nstdout:\n{done.stdout[-2000:]}\nstderr:\n{done.stderr[-4000:]}"
    assert "Traceback" not in done.stderr, context
    assert len(done.error_lines) == 1, context
    assert done.code == code, context
    line = done.error_lines[0]
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


def closed_port() -> int:
    """A loopback TCP port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
