"""The carry of merchant debits as the SQL store renders it (`netting.CARRIED_OUT_MINOR`,
`DUE_MINOR` through `sql_render`) computes what the domain computes, on SQLite and
PostgreSQL, and the store's statements are rendered from those formulas."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, create_engine, text

from settlement.adapters import eod_sql
from settlement.adapters.sql_render import expression
from settlement.domain import netting
from settlement.domain.formula import Const, When, evaluate

NAMES = (netting.PAYOUT.name, netting.CARRIED_IN.name, netting.CARRIED_OUT.name)
COLUMNS = {name: f"CAST(:{name} AS BIGINT)" for name in NAMES}


@pytest.fixture
def conn(db_url: str) -> Iterator[Connection]:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


@given(st.integers(-(10**12), 10**12), st.integers(0, 10**12))
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_rendered_carry_is_the_domains(conn: Connection, payout: int, taken: int) -> None:
    inputs = {netting.PAYOUT.name: payout, netting.CARRIED_IN.name: taken}
    out = evaluate(netting.CARRIED_OUT_MINOR, inputs)
    inputs[netting.CARRIED_OUT.name] = out
    rendered = (expression(f, COLUMNS) for f in (netting.CARRIED_OUT_MINOR, netting.DUE_MINOR))
    found = conn.execute(text(f"SELECT {', '.join(rendered)}"), inputs).one()
    assert tuple(found) == (out, evaluate(netting.DUE_MINOR, inputs))
    assert found[1] >= 0 and (found[0] == 0 or found[1] == 0)


def test_the_store_renders_the_domains_formulas(monkeypatch: pytest.MonkeyPatch) -> None:
    statements: list[str] = []
    monkeypatch.setattr(eod_sql, "run", lambda _conn, sql, **_: statements.append(sql) or 0)
    eod_sql.carry_debits(None, None)  # type: ignore[arg-type]
    assert expression(netting.CARRIED_OUT_MINOR, eod_sql._CARRY_COLUMNS) in statements[1]
    changed = When(netting.Negative(netting.PAYOUT), Const(7), Const(0))
    monkeypatch.setattr(netting, "CARRIED_OUT_MINOR", changed)
    statements.clear()
    eod_sql.carry_debits(None, None)  # type: ignore[arg-type]
    assert "7" in statements[1] and "carried_in_minor" not in statements[1].split("=", 1)[1]
    assert expression(netting.DUE_MINOR, eod_sql._CARRY_COLUMNS) == eod_sql.due_sql()
