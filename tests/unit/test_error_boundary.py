"""The error boundary's table: which exception becomes which one line and exit code.

The classes are the real ones (botocore, SQLAlchemy, OSError), built as their libraries
raise them; tests/e2e/test_operator_mistakes.py provokes them in real processes.
"""

from __future__ import annotations

import errno
import sqlite3

import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from settlement.cli.boundary import describe
from settlement.config import ConfigurationError
from settlement.domain.fraud.params import RulebookError
from settlement.errors import BadInput, DatabaseNotReady, DatabaseReplaced, PayoutFileConflict
from settlement.exit_codes import ExitCode

USAGE, FAILED = ExitCode.USAGE, ExitCode.FAILED
REFUSED_PG = OperationalError("connect", {}, Exception("connection refused\nIs the server up?"))


@pytest.mark.parametrize(
    ("error", "code", "says"),
    [
        (DatabaseNotReady("database sqlite:///x.db: no such file"), USAGE, "no such file"),
        (DatabaseReplaced("database sqlite:///x.db: deleted"), FAILED, "deleted"),
        (BadInput("labels file l.csv line 3: bad"), USAGE, "line 3"),
        (PayoutFileConflict("payouts-x.csv already holds"), FAILED, "already holds"),
        (ConfigurationError("configuration error: CARDSETTLE_X: bad"), USAGE, "CARDSETTLE_X"),
        (REFUSED_PG, FAILED, "unreachable or failing: connection refused"),
        (IntegrityError("INSERT", {}, Exception("duplicate key")), FAILED, "duplicate key"),
        (sqlite3.OperationalError("database is locked"), FAILED,
         "unreachable or failing: database is locked"),
        (NoCredentialsError(), USAGE, "no AWS credentials"),
        (PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"), USAGE,
         "AWS_SECRET_ACCESS_KEY"),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), FAILED,
         "cannot reach the SQS/S3 endpoint http://127.0.0.1:9"),
        (ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "SendMessage"),
         FAILED, "AccessDenied"),
        (FileNotFoundError(errno.ENOENT, "No such file or directory", "in.csv"), USAGE,
         "in.csv: No such file or directory"),
        (PermissionError(errno.EACCES, "Permission denied", "/out"), USAGE, "/out: Permission"),
        (RulebookError("unknown rule 'x'"), USAGE, "CARDSETTLE_FRAUD_RULES_FILE"),
        (KeyError("boom"), FAILED, "unexpected KeyError: 'boom' (run with --debug"),
        (RuntimeError(), FAILED, "unexpected RuntimeError: (no message)"),
    ],
)  # fmt: skip
def test_each_failure_is_one_line_with_its_exit_code(
    error: BaseException, code: ExitCode, says: str
) -> None:
    line, exit_code = describe(error)
    assert exit_code == code and says in line, line
    assert "\n" not in line


def test_the_line_never_carries_a_pan() -> None:
    error = ValueError("bad message {'pan': '4111 1111 1111 1111'}\nsecond line 5500005555555559")
    line, _ = describe(error)
    assert "4111 1111" not in line and "5555555559" not in line and "\n" not in line
