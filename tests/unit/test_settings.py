"""Settings: defaults, environment overrides, one-line errors, masked secrets."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from settlement.cli import app
from settlement.config import ConfigurationError, load_settings


def test_defaults_are_the_embedded_mode() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///./cardsettle.db"
    assert settings.embedded_aws
    assert settings.cutoff_time == time(22, 0)


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDSETTLE_BUSINESS_TIMEZONE", "America/New_York")
    monkeypatch.setenv("CARDSETTLE_CUTOFF_TIME", "18:30")
    monkeypatch.setenv("CARDSETTLE_AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    settings = load_settings()
    assert settings.zone.key == "America/New_York"
    assert settings.cutoff_time == time(18, 30)
    assert not settings.embedded_aws


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CARDSETTLE_QUEUE_NAME=from-dotenv\n")
    assert load_settings().queue_name == "from-dotenv"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CARDSETTLE_BUSINESS_TIMEZONE", "Mars/Olympus", "unknown timezone 'Mars/Olympus'"),
        ("CARDSETTLE_DATABASE_URL", "not a url", "malformed database URL"),
        ("CARDSETTLE_DATABASE_URL", "mysql://x/y", "unsupported database 'mysql'"),
        ("CARDSETTLE_AWS_ENDPOINT_URL", "localhost:4566", "malformed endpoint URL"),
        ("CARDSETTLE_CUTOFF_TIME", "25:00", "CARDSETTLE_CUTOFF_TIME"),
        ("CARDSETTLE_RETRY_BACKOFF_MAX_S", "0", "below CARDSETTLE_RETRY_BACKOFF_BASE_S"),
        ("CARDSETTLE_RETRY_BACKOFF_MAX_S", "50000", "less than or equal to 43200"),
        ("CARDSETTLE_RETRY_BACKOFF_BASE_S", "-1", "greater than or equal to 0"),
        ("CARDSETTLE_GATEWAY_LOCK_TIMEOUT_MS", "-5", "greater than or equal to 0"),
        # Red team: each was an unexpected OverflowError (exit 1) or a driver error later.
        ("CARDSETTLE_EOD_STALE_RUN_S", "99999999999999999999", "less than or equal to"),
        # An empty key (a deploy's unset variable) made every token an unkeyed hash.
        ("CARDSETTLE_PAN_TOKEN_KEY", "", "at least"),
        ("CARDSETTLE_SCHEDULER_MISFIRE_GRACE_S", "99999999999999999999", "less than or equal to"),
        ("CARDSETTLE_GATEWAY_LOCK_TIMEOUT_MS", "99999999999", "less than or equal to"),
        ("CARDSETTLE_GATEWAY_STATEMENT_TIMEOUT_MS", "99999999999", "less than or equal to"),
    ],
)
def test_bad_values_fail_with_one_line(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    text = str(caught.value)
    assert message in text and variable in text
    assert "\n" not in text


def test_config_command_masks_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDSETTLE_PAN_TOKEN_KEY", "super-secret-key")
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", "postgresql+psycopg://u:hunter2@db/cs")
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert "super-secret-key" not in result.output and "hunter2" not in result.output
    assert "CARDSETTLE_PAN_TOKEN_KEY" in result.output


def test_config_command_exits_2_on_bad_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDSETTLE_BUSINESS_TIMEZONE", "Nowhere/Town")
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 2
