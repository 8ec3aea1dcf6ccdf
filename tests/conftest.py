"""Shared fixtures. Every storage test takes `db_url`, which runs it on SQLite and PostgreSQL.

PostgreSQL comes from tests/support/pgcluster.py. Without it the PostgreSQL half skips
locally, but fails under CI=true: CI must prove both backends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

import tests.support.example_budget  # noqa: F401  (registers the `unit` Hypothesis profile)
from settlement.adapters.aws import stop_embedded_aws
from settlement.adapters.database import create_db_engine, upgrade
from tests.support.pgcluster import PostgresUnavailable, scratch_database, throwaway_cluster


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    try:
        with throwaway_cluster() as url:
            yield url
    except PostgresUnavailable as error:
        if _in_ci():
            pytest.fail(f"PostgreSQL is required in CI: {error}")
        pytest.skip(f"PostgreSQL unavailable: {error}")


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL on each backend (not yet migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'staging.db'}"
        return
    server = request.getfixturevalue("pg_server")
    with scratch_database(server) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database on each backend, through an engine as the gateway opens it."""
    upgrade(db_url)
    engine = create_db_engine(db_url, write_lock_on_begin=True)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test reads the developer's environment or .env: each runs in its own directory,
    and no test sees the queues or buckets an earlier test left in the embedded AWS."""
    for name in list(os.environ):
        if name.startswith("CARDSETTLE_") and name != "CARDSETTLE_TEST_PG_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield
    stop_embedded_aws()
