"""The gateway robustness settings: documented defaults, overrides, one-line errors."""

from __future__ import annotations

import pytest

from settlement.config import ConfigurationError, load_settings


def test_defaults() -> None:
    settings = load_settings()
    assert (settings.retry_backoff_base_s, settings.retry_backoff_max_s) == (1, 60)
    assert settings.gateway_lock_timeout_ms == 5_000
    assert settings.gateway_statement_timeout_ms == 30_000


def test_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDSETTLE_RETRY_BACKOFF_BASE_S", "2")
    monkeypatch.setenv("CARDSETTLE_RETRY_BACKOFF_MAX_S", "300")
    monkeypatch.setenv("CARDSETTLE_GATEWAY_LOCK_TIMEOUT_MS", "0")
    settings = load_settings()
    assert (settings.retry_backoff_base_s, settings.retry_backoff_max_s) == (2, 300)
    assert settings.gateway_lock_timeout_ms == 0
    shown = settings.masked()
    assert shown["CARDSETTLE_RETRY_BACKOFF_MAX_S"] == "300"
    assert shown["CARDSETTLE_GATEWAY_STATEMENT_TIMEOUT_MS"] == "30000"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CARDSETTLE_RETRY_BACKOFF_MAX_S", "0", "below CARDSETTLE_RETRY_BACKOFF_BASE_S"),
        ("CARDSETTLE_RETRY_BACKOFF_MAX_S", "50000", "less than or equal to 43200"),
        ("CARDSETTLE_RETRY_BACKOFF_BASE_S", "-1", "greater than or equal to 0"),
        ("CARDSETTLE_GATEWAY_LOCK_TIMEOUT_MS", "-5", "greater than or equal to 0"),
    ],
)
def test_bad_values_fail_with_one_line(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert variable in str(caught.value) and message in str(caught.value)
    assert "\n" not in str(caught.value)
