"""Red team: a card number an operator pasted into a command line is never echoed whole on
stderr, whoever prints the error (Typer/click's usage errors bypassed the boundary's
`mask_pans`, and a cron job mails stderr on)."""

from __future__ import annotations

from pathlib import Path

import pytest

from settlement.exit_codes import ExitCode
from tests.support.cli_run import clean_env, run_cli

PAN = "4111111111111111"


@pytest.mark.parametrize(
    ("program", "args"),
    [
        ("settlement", ["eod", "--date", PAN]),
        ("settlement", ["merchants", "import", "/nonexistent/4111-1111-1111-1111.csv"]),
        ("settlement", ["eod", "--date", "2026-10-14", "--" + PAN]),
        ("pos-sim", ["generate", "--business-date", PAN, "--out", "x"]),
    ],
)
def test_a_usage_error_masks_a_pan(program: str, args: list[str], tmp_path: Path) -> None:
    env = clean_env(tmp_path, CARDSETTLE_DATABASE_URL=f"sqlite:///{tmp_path / 'cs.db'}")
    done = run_cli(program, args, env, tmp_path)
    assert done.code == ExitCode.USAGE, done.stderr
    digits = "".join(ch for ch in done.stderr if ch.isdigit() or ch == "\n")
    assert PAN not in digits.replace("\n", ""), done.stderr
    assert "1111" in done.stderr  # the last four stay, so the operator sees which value
