"""One declaration moves both: reorder `recon_classes.STAGED_PRECEDENCE` and the run's SQL
(`eod_sql.classify_staged`, on SQLite and PostgreSQL) classes a late refund of nothing as the
pure `reconcile` does, `late` as declared and `orphan_refund` once orphans come first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from settlement.adapters import eod_sql
from settlement.adapters.eod_tables import reconciliation_items
from settlement.domain import reconciliation
from settlement.domain.money import Money
from settlement.domain.recon_classes import STAGED_PRECEDENCE, Precedence, ReconClass
from settlement.domain.reconciliation import StagedFacts, Tolerance, reconcile
from settlement.domain.run_scope import Scope
from settlement.domain.transactions import TransactionType
from tests.support.staging_builder import insert_staged, migrated_database, staged

DAY = date(2026, 3, 11)
CUTOFF = datetime(2026, 3, 11, 21, 0)
AT = datetime(2026, 3, 11, 12, 0)


def _rows() -> list[dict[str, Any]]:
    late = CUTOFF + timedelta(minutes=5)
    return [
        staged("P1", "5.00", business_date=DAY, at=AT),
        staged(
            "R1", "1.00", business_date=DAY, at=AT, kind="refund", original="ghost", sent_at=late
        ),  # fmt: skip
    ]


def _domain_classes() -> dict[str, ReconClass]:
    facts = [
        StagedFacts(
            r["transaction_id"], TransactionType(r["transaction_type"]),
            r["original_transaction_id"], r["merchant_id"], r["terminal_id"], r["card_last4"],
            Money(r["amount_minor"], r["currency"]), r["transacted_at"], r["sent_at"], DAY,
        )
        for r in _rows()
    ]  # fmt: skip
    items = reconcile(facts, [], DAY, CUTOFF, Tolerance(0, 0))
    return {item.transaction_id: item.recon_class for item in items}


def _sql_classes(engine: Engine) -> dict[str, ReconClass]:
    scope = Scope(DAY, CUTOFF, DAY - timedelta(days=7), later_runs_exist=False)
    with engine.begin() as conn:
        eod_sql.delete_results(conn, DAY, ["reconciliation_items"])  # each call starts afresh
        eod_sql.classify_staged(conn, scope)
        found = conn.execute(
            select(reconciliation_items.c.transaction_id, reconciliation_items.c.recon_class)
        ).all()
    return {str(tid): ReconClass(cls) for tid, cls in found}


@pytest.fixture
def engine(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    with migrated_database(db_url, tmp_path) as (ready, _settings):
        insert_staged(ready, _rows())
        yield ready


def test_a_reordered_precedence_moves_the_sql_and_the_domain_together(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    declared = {"P1": ReconClass.UNEXPECTED_IN_STAGING, "R1": ReconClass.LATE}
    assert _sql_classes(engine) == _domain_classes() == declared
    late, orphan, *rest = STAGED_PRECEDENCE.steps
    swapped = Precedence((orphan, late, *rest), STAGED_PRECEDENCE.otherwise)
    monkeypatch.setattr(eod_sql, "STAGED_PRECEDENCE", swapped)
    monkeypatch.setattr(reconciliation, "STAGED_PRECEDENCE", swapped)
    reordered = {**declared, "R1": ReconClass.ORPHAN_REFUND}
    assert _sql_classes(engine) == _domain_classes() == reordered
