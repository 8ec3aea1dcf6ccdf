"""A rule that declares no pre-filter bound has every card and every terminal screened, on
SQLite and PostgreSQL: with the pre-filter on, it flags each ordinary purchase that every
shipped rule's bound rules out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from settlement.adapters.eod_store import SqlEodStore
from settlement.domain.fraud import ActiveRule, Hit, Rulebook, load_rulebook
from settlement.domain.fraud.activity import CardActivity, TerminalActivity
from settlement.domain.fraud.spec import CardRule, TerminalRule
from settlement.eod import fraud_step, fx_step, prefilter
from tests.support.staging_builder import insert_staged, migrated_database, staged

DAY = date(2026, 3, 11)


def _every_purchase(group: CardActivity | TerminalActivity, _params: object) -> list[Hit]:
    pairs = zip(group.purchases, group.today, strict=True)
    return [Hit(tx, "every purchase") for tx, today in pairs if today]


@pytest.fixture
def engine(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    with migrated_database(db_url, tmp_path) as (ready, _settings):
        yield ready


def test_a_rule_without_a_bound_sees_every_card_and_terminal(engine: Engine) -> None:
    at = datetime(2026, 3, 11, 12, 0)
    insert_staged(engine, [
        staged(f"P{n}", "12.00", business_date=DAY, at=at + timedelta(hours=n),
               card=f"card-{n}", terminal_id=f"T{n}")
        for n in range(4)
    ])  # fmt: skip
    shipped = load_rulebook()
    every_card = ActiveRule("every_card", 10, CardRule(object, _every_purchase, ()), None)
    every_terminal = ActiveRule(
        "every_terminal", 10, TerminalRule(object, _every_purchase, ()), None
    )
    rulebook = Rulebook((*shipped.rules, every_card, every_terminal), 50, 80)
    assert prefilter.card_filter(rulebook) is None
    assert prefilter.terminal_filter(rulebook) is None
    with engine.connect() as conn:
        store = SqlEodStore(conn)
        to_eur = fx_step.to_eur_converter(fx_step.quote_source(store, DAY))
        ordinary = fraud_step.screen_day(store, DAY, shipped, to_eur)
        flags = fraud_step.screen_day(store, DAY, rulebook, to_eur)
    assert ordinary == []  # the shipped rules' bounds alone would skip every one of them
    found = {(flag.transaction_id, flag.rule) for flag in flags}
    assert found == {(f"P{n}", rule) for n in range(4) for rule in ("every_card", "every_terminal")}
