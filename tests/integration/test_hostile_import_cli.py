"""The three import commands run as a user runs them (a subprocess), fed hostile files: the
exit code, one specific line of error, no traceback, and never a card number in the output."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from settlement.adapters import database
from settlement.exit_codes import ExitCode
from tests.support.hostile_files import (
    GOOD_MERCHANT,
    JOURNAL_COLUMNS,
    MERCHANT_COLUMNS,
    MERCHANT_LINES,
    PAN,
    HostileFile,
    csv_line,
    good_journal,
    hostile_files,
    journal_lines,
)


def _now() -> datetime:
    """The commands stamp journal lines against the real clock, so the corpus is built
    around it (read once; nothing waits on it)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _run(db_url: str, workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CARDSETTLE_DATABASE_URL": db_url, "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-m", "settlement", *args], env=env, cwd=workdir, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip


def _check(
    done: subprocess.CompletedProcess[str], code: int, says: str, secrets: tuple[str, ...]
) -> None:
    output = done.stdout + done.stderr
    assert done.returncode == code, output
    assert says in output, output
    assert "Traceback" not in output, output
    for secret in (PAN, *secrets):
        assert secret not in output, output


@pytest.mark.parametrize("case", hostile_files(_now()), ids=lambda case: case.name)
def test_hostile_file(case: HostileFile, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'cli.db'}"
    path = tmp_path / f"{case.kind}.csv"
    path.write_bytes(case.content)
    done = _run(db_url, tmp_path, case.kind, "import", str(path))
    _check(done, case.exit_code, case.says, case.secrets)
    if case.exit_code == ExitCode.DONE:
        assert f"written {case.written}" in done.stdout


def test_rejected_lines_exit_failed_with_one_line_each(db_url: str, tmp_path: Path) -> None:
    """On both backends: every hostile merchants line, each named by number and reason."""
    database.upgrade(db_url)  # the CLI migrates only a SQLite database by itself
    lines = [",".join(MERCHANT_COLUMNS)]
    lines += [case.line(MERCHANT_COLUMNS, {**GOOD_MERCHANT, "merchant_id": f"M{n}"})
              if "merchant_id" not in case.changes else case.line(MERCHANT_COLUMNS, GOOD_MERCHANT)
              for n, case in enumerate(MERCHANT_LINES[:8])]  # fmt: skip
    path = tmp_path / "merchants.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = _run(db_url, tmp_path, "merchants", "import", str(path))
    _check(done, ExitCode.FAILED, "nothing written", ())
    for number, case in enumerate(MERCHANT_LINES[:8], start=2):
        assert f"line {number}: {case.reason}: " in done.stdout, done.stdout


def test_journal_with_a_bad_line_writes_the_rest_and_fails(tmp_path: Path) -> None:
    now = _now()
    good = good_journal(now)
    bad = journal_lines(now)[0]
    path = tmp_path / "journal.csv"
    lines = [",".join(JOURNAL_COLUMNS), csv_line(JOURNAL_COLUMNS, good),
             bad.line(JOURNAL_COLUMNS, {**good, "transaction_id": "T2"})]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'cli.db'}"
    done = _run(db_url, tmp_path, "journal", "import", str(path))
    _check(done, ExitCode.FAILED, "written 1", ())
    assert "line 3: pan_in_wrong_field: " in done.stdout
    again = _run(db_url, tmp_path, "journal", "import", str(path))
    _check(again, ExitCode.FAILED, "written 0, already imported 1, rejected 1", ())
    lines.pop()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    clean = _run(db_url, tmp_path, "journal", "import", str(path))
    _check(clean, ExitCode.DONE, "written 0, already imported 1, rejected 0", ())
