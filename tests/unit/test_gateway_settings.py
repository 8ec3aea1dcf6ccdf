"""The gateway robustness settings: documented defaults and overrides (their one-line errors
are with the others in test_settings)."""

from __future__ import annotations

import pytest

from settlement.config import load_settings


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
