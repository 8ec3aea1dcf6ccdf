"""The end of day's speed-ups change no result, on SQLite and PostgreSQL.

- The fraud screen with the pre-filter (narrow read, whole rows only of groups some rule may
  flag) stores exactly the flags of the exhaustive screen, on a dense generated day with
  history, for the shipped rulebook and for an aggressive one.
- The EUR rate table given to the rules converts exactly as `convert` at the EUR cross rate
  of the day's quote, imported rates included, and gives None where there is no quote.
- Reversal pairing in one statement keeps its meaning: the earliest matched reversal equal
  to a matched purchase voids it; another equal one is a duplicate, one of another amount a
  mismatch (docs/refunds-and-reversals.md).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from settlement.adapters.eod_store import SqlEodStore
from settlement.adapters.eod_tables import reconciliation_items
from settlement.adapters.imports import import_journal, import_merchants, import_rates
from settlement.config import Settings
from settlement.domain.currencies import is_known_currency
from settlement.domain.fraud import FraudFlag, load_rulebook
from settlement.domain.fx import EUR, convert, cross_rate
from settlement.domain.money import Money
from settlement.eod import fraud_step, fx_step
from settlement.eod.run import RunRequest, run_end_of_day
from tests.support.hand_day import eod_database
from tests.support.staging_builder import (
    JOURNAL_HEADER,
    MERCHANTS_HEADER,
    insert_staged,
    journal_line,
    merchant_line,
    staged,
)

DAY = date(2026, 3, 11)
NOW = datetime(2026, 3, 11, 21, 0)
AGGRESSIVE = """
[rules.velocity]
max_count = 2
window_min = 60
[rules.spend_velocity]
limit_eur = "80.00"
[rules.card_testing]
small_amount_eur = "10.00"
max_count = 1
[rules.over_limit]
limit_eur = "120.00"
[rules.amount_spike]
multiplier = "2"
min_history = 2
min_amount_eur = "20.00"
[rules.impossible_travel]
min_distance_km = 100
[rules.compromised_terminal]
max_cards = 2
window_min = 60
"""


@pytest.fixture
def setup(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Settings]]:
    with eod_database(db_url, tmp_path) as ready:
        yield ready


def _dense_day(seed: int) -> list[dict[str, Any]]:
    """Few cards and terminals, many purchases: bursts, spikes, travel, night MCCs, history."""
    rng = random.Random(seed)
    rows = []
    for n in range(400):
        day = DAY if n % 5 else DAY - timedelta(days=rng.choice([1, 2, 10]))
        at = datetime.combine(day, datetime.min.time()) + timedelta(minutes=rng.randrange(1200))
        currency = rng.choice(["EUR", "EUR", "USD", "JPY", "AED"])
        amount = rng.choice(["1.00", "2.50", "15.00", "60.00", "140.00", "900.00", "3000.00"])
        row = staged(
            f"D{n:04d}", amount if currency != "JPY" else amount.split(".")[0], currency,
            merchant_id=f"M{rng.randrange(4)}", business_date=day, at=at,
            card=f"card-{rng.randrange(30)}", terminal_id=f"T{rng.randrange(6)}",
            mcc=rng.choice(["5411", "5411", "7995"]),
        )  # fmt: skip
        row["merchant_country"] = rng.choice(["NL", "NL", "DE", "US", "JP"])
        row["entry_mode"] = rng.choice(["chip", "contactless", "ecommerce"])
        rows.append(row)
    return rows


def _screen(engine: Engine, rules: str | None, exhaustive: bool) -> list[FraudFlag]:
    rulebook = load_rulebook(rules)
    with engine.connect() as conn:
        to_eur = fx_step.to_eur_converter(fx_step.quote_source(SqlEodStore(conn), DAY))
        flags = fraud_step.screen_day(
            SqlEodStore(conn), DAY, rulebook, to_eur, exhaustive=exhaustive
        )
    return sorted(flags, key=lambda f: (f.transaction_id, f.rule))


@pytest.mark.parametrize("rules", [None, AGGRESSIVE], ids=["shipped", "aggressive"])
def test_prefiltered_screen_stores_the_exhaustive_flags(
    setup: tuple[Engine, Settings], rules: str | None
) -> None:
    engine, _settings = setup
    insert_staged(engine, _dense_day(seed=5))
    quick, exhaustive = _screen(engine, rules, False), _screen(engine, rules, True)
    assert quick == exhaustive
    assert len({f.rule for f in exhaustive}) >= (3 if rules is None else 6)  # rules do trip


def test_eur_rate_table_equals_conversion_at_the_cross_rate(
    setup: tuple[Engine, Settings],
) -> None:
    engine, _settings = setup
    import_rates(engine, ["date,currency,units_per_eur", f"{DAY},USD,1.0850",
                          f"{DAY},SAR,4.0750"], NOW)  # fmt: skip
    rng = random.Random(3)
    with engine.connect() as conn:
        quotes = fx_step.quote_source(SqlEodStore(conn), DAY)
        to_eur = fx_step.to_eur_converter(quotes)
        eur_quote = quotes(EUR)
        assert eur_quote is not None
        for currency in sorted(quotes.currencies() | {"AED", "KWD"}):
            if not is_known_currency(currency):
                continue
            quote = quotes(currency)
            for amount_minor in [1, 5, 49, 50, 51, *(rng.randrange(10**9) for _ in range(30))]:
                amount = Money(amount_minor, currency)
                expected = None if quote is None else convert(amount, cross_rate(quote, eur_quote))
                assert to_eur(amount) == (None if expected is None else expected.converted)
    assert to_eur(Money(100, "AED")) is None  # no ECB rate, none imported
    assert quotes("SAR") is not None and quotes("SAR").source == "imported"  # type: ignore[union-attr]


def test_one_equal_reversal_voids_a_purchase_and_the_others_are_exceptions(
    setup: tuple[Engine, Settings],
) -> None:
    engine, settings = setup
    import_merchants(engine, [MERCHANTS_HEADER, merchant_line("M1", "EUR", 100, "0")])
    at = datetime(2026, 3, 11, 9)
    rows = [
        staged("P1", "40.00", business_date=DAY, at=at, terminal_id="T"),
        staged("V1", "40.00", business_date=DAY, at=at + timedelta(minutes=1),
               kind="reversal", original="P1", terminal_id="T"),
        staged("V2", "10.00", business_date=DAY, at=at + timedelta(minutes=2),
               kind="reversal", original="P1", terminal_id="T"),
        staged("V0", "40.00", business_date=DAY, at=at + timedelta(minutes=2),
               kind="reversal", original="P1", terminal_id="T"),
        staged("P2", "30.00", business_date=DAY, at=at + timedelta(minutes=3), terminal_id="T"),
        staged("V3", "5.00", business_date=DAY, at=at + timedelta(minutes=4),
               kind="reversal", original="P2", terminal_id="T"),
    ]  # fmt: skip
    insert_staged(engine, rows)
    import_journal(engine, [JOURNAL_HEADER, *(journal_line(r) for r in rows)], settings, NOW)
    assert run_end_of_day(engine, settings, RunRequest(DAY, NOW)).status == "completed"
    with engine.connect() as conn:
        query = select(reconciliation_items.c.transaction_id, reconciliation_items.c.recon_class)
        found = {str(tid): str(cls) for tid, cls in conn.execute(query)}
    assert found == {"P1": "reversed", "V1": "reversed", "V2": "reversal_mismatch",
                     "V0": "reversal_duplicate", "P2": "matched",
                     "V3": "reversal_mismatch"}  # fmt: skip
