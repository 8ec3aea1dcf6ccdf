"""CARDSETTLE_AWS_MODE: which endpoint and credentials the SQS and S3 clients get (no network).

Building a boto3 client sends nothing, so these look at the client's endpoint and at the
credentials it would sign with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from settlement.adapters import aws
from settlement.cli import app
from settlement.config import ConfigurationError, load_settings

AWS_SQS = "https://sqs.eu-west-1.amazonaws.com"
AWS_S3 = "https://s3.eu-west-1.amazonaws.com"


@pytest.fixture(autouse=True)
def _credential_chain(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A credential chain of environment variables only: no profile files, no IMDS probe."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMTHECHAIN")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-from-the-chain")


def access_key(client: Any) -> str:
    return str(client._request_signer._credentials.get_frozen_credentials().access_key)


def test_unset_mode_without_endpoint_is_embedded_moto() -> None:
    settings = load_settings()
    assert settings.aws_mode == "embedded" and settings.embedded_aws
    sqs, s3 = aws.sqs_client(settings), aws.s3_client(settings)
    assert aws._embedded_mock is not None, "embedded mode starts moto in this process"
    assert sqs.meta.endpoint_url == AWS_SQS and s3.meta.endpoint_url == AWS_S3  # intercepted
    assert access_key(sqs) == "testing" and access_key(s3) == "testing"
    assert aws.describe_target(settings) == "moto (in-process)"


def test_an_endpoint_url_alone_means_endpoint_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDSETTLE_AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    settings = load_settings()
    assert settings.aws_mode == "endpoint" and not settings.embedded_aws
    sqs, s3 = aws.sqs_client(settings), aws.s3_client(settings)
    assert sqs.meta.endpoint_url == "http://127.0.0.1:4566" == s3.meta.endpoint_url
    assert access_key(sqs) == "AKIAFROMTHECHAIN"
    assert aws._embedded_mock is None
    assert aws.describe_target(settings) == "http://127.0.0.1:4566"


def test_aws_mode_uses_aws_itself_and_the_credential_chain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CARDSETTLE_AWS_MODE", "aws")
    monkeypatch.setenv("CARDSETTLE_AWS_REGION", "us-west-2")
    settings = load_settings()
    assert settings.aws_mode == "aws" and not settings.embedded_aws
    assert aws.client_kwargs(settings) == {"region_name": "us-west-2"}
    sqs, s3 = aws.sqs_client(settings), aws.s3_client(settings)
    assert sqs.meta.endpoint_url == "https://sqs.us-west-2.amazonaws.com"
    assert s3.meta.endpoint_url == "https://s3.us-west-2.amazonaws.com"
    assert access_key(sqs) == "AKIAFROMTHECHAIN" == access_key(s3)
    assert aws._embedded_mock is None, "aws mode must never start moto"
    assert aws.describe_target(settings) == "AWS (us-west-2)"


@pytest.mark.parametrize(
    ("mode", "endpoint", "message"),
    [
        ("endpoint", None, "endpoint mode needs CARDSETTLE_AWS_ENDPOINT_URL"),
        ("aws", "http://127.0.0.1:5000", "aws mode takes no endpoint"),
        ("embedded", "http://127.0.0.1:5000", "embedded mode takes no endpoint"),
        ("cloud", None, "'embedded', 'endpoint' or 'aws'"),
    ],
)
def test_contradictory_or_unknown_modes_fail_with_one_line(
    monkeypatch: pytest.MonkeyPatch, mode: str, endpoint: str | None, message: str
) -> None:
    monkeypatch.setenv("CARDSETTLE_AWS_MODE", mode)
    if endpoint:
        monkeypatch.setenv("CARDSETTLE_AWS_ENDPOINT_URL", endpoint)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert "CARDSETTLE_AWS_MODE" in str(caught.value) and message in str(caught.value)


def test_explicit_endpoint_mode_and_upper_case_are_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CARDSETTLE_AWS_MODE", "Endpoint")
    monkeypatch.setenv("CARDSETTLE_AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    assert load_settings().aws_mode == "endpoint"


@pytest.mark.parametrize(("mode", "shown"), [(None, "embedded"), ("aws", "aws")])
def test_settlement_config_shows_the_mode(
    monkeypatch: pytest.MonkeyPatch, mode: str | None, shown: str
) -> None:
    if mode:
        monkeypatch.setenv("CARDSETTLE_AWS_MODE", mode)
    result = CliRunner().invoke(app, ["config"], terminal_width=200)
    assert result.exit_code == 0, result.output
    (line,) = [row for row in result.output.splitlines() if "CARDSETTLE_AWS_MODE" in row]
    assert line.split("│")[2].strip() == shown
