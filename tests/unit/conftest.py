"""The unit tier is pure (tests/support/impurity_guard.py): every test here runs with the
doors out of the process closed, and fails if it tried one, even if the code under test
swallowed the refusal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.impurity_guard import forbid_impure_calls


@pytest.fixture(autouse=True)
def impure_attempts() -> Iterator[list[str]]:
    """What the test tried to open; not empty at its end fails it."""
    with forbid_impure_calls() as attempts:
        yield attempts
    if attempts:
        pytest.fail(f"a unit test must stay in its process; it opened {', '.join(attempts)}")
