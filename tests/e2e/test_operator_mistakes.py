"""Operator mistakes, run as a user runs them: `settlement ...` and `pos-sim ...` processes.

Each expected failure must be exactly one line on stderr (no traceback) with the exit code
of `settlement.exit_codes.ExitCode`, must name the thing to fix (URL with the password
masked, path, endpoint), and must change nothing: no database created, no date claimed, no
payout file replaced. `--debug` / `CARDSETTLE_DEBUG=1` bring the traceback back.
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from settlement.adapters import database
from settlement.exit_codes import ExitCode
from tests.support.cli_run import assert_one_line, clean_env, closed_port, run_cli
from tests.support.pan_scan import PanScanner

pytestmark = pytest.mark.e2e

DAY = "2026-03-11"  # long closed
SECRET = "s3cr3t-pw"


def migrated(path: Path, revision: str = "head") -> str:
    url = f"sqlite:///{path}"
    database.upgrade(url, revision)
    return url


def eod_runs(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return list(conn.execute("SELECT business_date, status FROM eod_runs"))


@pytest.mark.parametrize("command", [["eod", "--date", DAY], ["report", "--date", DAY],
                                     ["scheduler"], ["db", "downgrade", "base"]])  # fmt: skip
@pytest.mark.parametrize("where", ["typo.db", "no-such-dir/cardsettle.db"])
def test_a_missing_sqlite_file_is_an_error_and_is_not_created(
    tmp_path: Path, command: list[str], where: str
) -> None:
    url = f"sqlite:///./{where}"
    env = clean_env(tmp_path, CARDSETTLE_DATABASE_URL=url)
    done = run_cli("settlement", command, env, tmp_path)
    assert_one_line(done, ExitCode.USAGE, url, "no such file", "settlement db upgrade")
    assert not (tmp_path / where).exists() and not (tmp_path / "no-such-dir").exists()


def test_a_mistyped_database_leaves_the_real_payout_file_alone(tmp_path: Path) -> None:
    url = migrated(tmp_path / "real.db")
    env = clean_env(tmp_path, CARDSETTLE_DATABASE_URL=url)
    done = run_cli("settlement", ["eod", "--date", DAY, "--allow-empty"], env, tmp_path)
    assert done.code == ExitCode.DONE, done.stderr
    payout_file = tmp_path / "reports" / f"payouts-{DAY}.csv"
    before = payout_file.read_bytes()
    env["CARDSETTLE_DATABASE_URL"] = "sqlite:///./rea.db"
    done = run_cli("settlement", ["eod", "--date", DAY, "--rerun"], env, tmp_path)
    assert_one_line(done, ExitCode.USAGE, "rea.db")
    assert payout_file.read_bytes() == before and not (tmp_path / "rea.db").exists()


def _unmigrated(path: Path) -> None:
    sqlite3.connect(path).close()


def _foreign(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")


def _partly_migrated(path: Path) -> None:
    migrated(path, "0001")


def _not_a_database(path: Path) -> None:
    path.write_text("merchant_id,name\nM1,Shop\n")


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_unmigrated, "has no cardsettle schema (it is empty)"),
        (_foreign, "holds 1 other table(s)"),
        (_partly_migrated, "is at schema revision 0001, this cardsettle needs 0"),  # any head
        (_not_a_database, "cannot be read"),
    ],
)
@pytest.mark.parametrize("command", [["eod", "--date", DAY], ["report", "--date", DAY]])
def test_a_database_not_at_this_schema_is_refused_untouched(
    tmp_path: Path, make: object, says: str, command: list[str]
) -> None:
    path = tmp_path / "other.db"
    make(path)  # type: ignore[operator]
    before = path.read_bytes()
    env = clean_env(tmp_path, CARDSETTLE_DATABASE_URL=f"sqlite:///{path}")
    done = run_cli("settlement", command, env, tmp_path)
    assert_one_line(done, ExitCode.USAGE, str(path), says)
    assert path.read_bytes() == before


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "no-such-host.invalid"])
@pytest.mark.parametrize(
    "command", [["eod", "--date", DAY], ["report", "--date", DAY], ["db", "upgrade"]]
)
def test_an_unreachable_postgresql_is_one_line_with_the_password_masked(
    tmp_path: Path, host: str, command: list[str]
) -> None:
    where = host.format(port=closed_port())
    url = f"postgresql+psycopg://cardsettle:{SECRET}@{where}/cardsettle?connect_timeout=5"
    env = clean_env(tmp_path, CARDSETTLE_DATABASE_URL=url)
    done = run_cli("settlement", command, env, tmp_path)
    assert_one_line(done, ExitCode.FAILED, f"cardsettle:***@{where}", "unreachable")
    assert SECRET not in done.stderr + done.stdout


def test_a_gateway_without_its_database_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "messages.jsonl").write_text('{"not": "a message"}\n')
    url = f"postgresql+psycopg://cardsettle:{SECRET}@127.0.0.1:{closed_port()}/x"
    env = clean_env(tmp_path, CARDSETTLE_DATABASE_URL=url, CARDSETTLE_GATEWAY_STARTUP_WAIT_S="0")
    done = run_cli(
        "settlement", ["ingest", "messages.jsonl", "--transport", "direct"], env, tmp_path
    )
    assert_one_line(done, ExitCode.FAILED, "cardsettle:***@127.0.0.1")
    assert SECRET not in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("program", "args"),
    [
        ("settlement", ["queues", "create"]),
        ("settlement", ["dlq", "inspect"]),
        ("pos-sim", ["send", "--in", "messages.jsonl"]),
    ],
)
def test_an_endpoint_that_is_down_is_one_line_naming_it(
    tmp_path: Path, program: str, args: list[str]
) -> None:
    (tmp_path / "messages.jsonl").write_text('{"not": "a message"}\n')
    endpoint = f"http://127.0.0.1:{closed_port()}"
    env = clean_env(
        tmp_path, CARDSETTLE_AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing", AWS_MAX_ATTEMPTS="2",
    )  # fmt: skip
    done = run_cli(program, args, env, tmp_path)
    assert_one_line(done, ExitCode.FAILED, endpoint, "cannot reach")


@pytest.mark.parametrize(
    ("program", "args"),
    [("settlement", ["queues", "create"]), ("pos-sim", ["send", "--in", "messages.jsonl"])],
)
def test_aws_mode_without_credentials_is_one_line(
    tmp_path: Path, program: str, args: list[str]
) -> None:
    (tmp_path / "messages.jsonl").write_text('{"not": "a message"}\n')
    env = clean_env(
        tmp_path, CARDSETTLE_AWS_MODE="aws", AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
    )  # fmt: skip
    done = run_cli(program, args, env, tmp_path)
    assert_one_line(done, ExitCode.USAGE, "no AWS credentials")


LABELS = {
    "missing": None,
    "wrong header": "id,label\nP1,legit\n",
    "missing column": "transaction_id,label\nP1\n",
    "a PAN": "transaction_id,label\nP1,legit\n4111 1111 1111 1111,legit\n",
    "a directory": "",
}


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("missing", "No such file or directory"),
        ("wrong header", "expected 'transaction_id,label'"),
        ("missing column", "line 2: expected 2 non-empty columns"),
        ("a PAN", "line 3 holds a card number (PAN)"),
        ("a directory", "Is a directory"),
    ],
)
def test_a_bad_labels_file_is_one_line_and_claims_nothing(
    tmp_path: Path, case: str, says: str, pan_sweep: PanScanner
) -> None:
    url = migrated(tmp_path / "cardsettle.db")
    labels = tmp_path / "labels.csv"
    pan_sweep.inputs.append(labels)  # the PAN case's input holds one on purpose
    if case == "a directory":
        labels.mkdir()
    elif LABELS[case] is not None:
        labels.write_text(str(LABELS[case]))
    env = clean_env(tmp_path, CARDSETTLE_DATABASE_URL=url)
    args = ["eod", "--date", DAY, "--allow-empty", "--labels", str(labels)]
    done = run_cli("settlement", args, env, tmp_path)
    line = assert_one_line(done, ExitCode.USAGE, str(labels), says)
    assert "4111" not in line and eod_runs(tmp_path / "cardsettle.db") == []


def test_unwritable_outputs_are_one_line(tmp_path: Path) -> None:
    url = migrated(tmp_path / "cardsettle.db")
    (tmp_path / "a-file").write_text("in the way\n")
    env = clean_env(tmp_path, CARDSETTLE_DATABASE_URL=url, CARDSETTLE_REPORTS_DIR="a-file/reports")
    done = run_cli("settlement", ["eod", "--date", DAY, "--allow-empty"], env, tmp_path)
    assert_one_line(done, ExitCode.USAGE, "a-file/reports", "not writable")
    assert eod_runs(tmp_path / "cardsettle.db") == []  # checked before the date is claimed
    env["CARDSETTLE_REPORTS_DIR"] = "reports"
    assert run_cli("settlement", ["eod", "--date", DAY, "--allow-empty"], env, tmp_path).code == 0
    out = ["report", "--date", DAY, "--no-upload", "--out", "a-file/out"]
    assert_one_line(run_cli("settlement", out, env, tmp_path), ExitCode.USAGE, "a-file")
    generate = ["generate", "--business-date", DAY, "-n", "10", "--out", "a-file/day"]
    assert_one_line(run_cli("pos-sim", generate, env, tmp_path), ExitCode.USAGE, "a-file")


def test_eod_refuses_an_empty_or_open_date_without_claiming_it(tmp_path: Path) -> None:
    path = tmp_path / "cardsettle.db"
    env = clean_env(tmp_path, CARDSETTLE_DATABASE_URL=migrated(path))
    done = run_cli("settlement", ["eod", "--date", DAY], env, tmp_path)
    assert_one_line(done, ExitCode.REFUSED, "no staged transactions", "--allow-empty")
    open_day = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()  # always ahead
    done = run_cli("settlement", ["eod", "--date", open_day, "--allow-empty"], env, tmp_path)
    assert_one_line(done, ExitCode.REFUSED, "has not passed", "--before-cutoff")
    assert eod_runs(path) == [] and not (tmp_path / "reports").exists()
    done = run_cli("settlement", ["eod", "--date", DAY, "--allow-empty"], env, tmp_path)
    assert done.code == ExitCode.DONE and "completed" in done.stdout, done.stderr
    done = run_cli("settlement", ["eod", "--date", DAY, "--allow-empty"], env, tmp_path)
    assert_one_line(done, ExitCode.REFUSED, "already completed; use --rerun")
    args = ["eod", "--date", open_day, "--before-cutoff", "--allow-empty"]
    assert run_cli("settlement", args, env, tmp_path).code == ExitCode.DONE
    assert sorted(eod_runs(path)) == [(DAY, "completed"), (open_day, "completed")]


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    env = clean_env(tmp_path, CARDSETTLE_DATABASE_URL="sqlite:///./typo.db")
    flag = run_cli("settlement", ["--debug", "eod", "--date", DAY], env, tmp_path)
    setting = run_cli("settlement", ["eod", "--date", DAY], {**env, "CARDSETTLE_DEBUG": "1"},
                      tmp_path)  # fmt: skip
    (tmp_path / "a-file").write_text("")
    generate = ["--debug", "generate", "--business-date", DAY, "--out", "a-file/day"]
    pos_sim = run_cli("pos-sim", generate, env, tmp_path)
    for done in (flag, setting):
        assert "Traceback" in done.stderr and "DatabaseNotReady" in done.stderr, done.stderr
        assert done.code == ExitCode.FAILED  # an uncaught exception: Python's own exit code
    assert "Traceback" in pos_sim.stderr and "NotADirectoryError" in pos_sim.stderr
    assert not (tmp_path / "typo.db").exists()


PROBE = "from settlement.cli.boundary import guarded; guarded(lambda: {}['no such key'])"


def test_an_unexpected_exception_is_one_line_pointing_at_debug(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    done = run_cli(Path(sys.executable).name, ["-c", PROBE], env, tmp_path)
    assert_one_line(done, ExitCode.FAILED, "unexpected KeyError", "run with --debug")
    done = run_cli(Path(sys.executable).name, ["-c", PROBE], {**env, "CARDSETTLE_DEBUG": "1"},
                   tmp_path)  # fmt: skip
    assert "Traceback" in done.stderr and "KeyError" in done.stderr
