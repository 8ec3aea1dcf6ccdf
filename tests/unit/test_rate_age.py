"""A rate has an age limit (settlement.domain.fx.usable_quote, CARDSETTLE_FX_MAX_RATE_AGE_DAYS):
the default bridges the longest TARGET closing, and nothing older converts a line, in
settlement or in the fraud screen's EUR amounts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from settlement.adapters.eod_memory import MemoryEodStore
from settlement.config import Settings
from settlement.domain.fraud import load_rulebook
from settlement.domain.fx import (
    DEFAULT_MAX_RATE_AGE_DAYS,
    SOURCE_ECB,
    RateQuote,
    no_rate_detail,
    pick_quote,
    rate_age_days,
    usable_quote,
)
from settlement.domain.money import Money
from settlement.domain.netting import MerchantTerms
from settlement.eod import fx_step
from settlement.eod.run import RunRequest, close_day
from tests.support.memory_day import journal_of, staged_row

# The ECB's published days around Easter 2026 (Good Friday 04-03, Easter Monday 04-06) and
# Christmas 2025 (24th a Wednesday; 25th, 26th closed, then a weekend), from its history.
EASTER = [(date(2026, 4, 1), Decimal("1.1605")), (date(2026, 4, 2), Decimal("1.1525")),
          (date(2026, 4, 7), Decimal("1.1557"))]  # fmt: skip
CHRISTMAS = [(date(2025, 12, 23), Decimal("1.1786")), (date(2025, 12, 24), Decimal("1.1787")),
             (date(2025, 12, 29), Decimal("1.1766"))]  # fmt: skip


def usable(day: date, history: list[tuple[date, Decimal]], limit: int) -> RateQuote | None:
    return usable_quote(pick_quote("USD", day, [], history), day, limit)


@pytest.mark.parametrize(
    ("day", "rate_date", "age_days"),
    [
        (date(2026, 4, 3), date(2026, 4, 2), 1),  # Good Friday
        (date(2026, 4, 6), date(2026, 4, 2), 4),  # Easter Monday: Thursday's rate
        (date(2026, 4, 7), date(2026, 4, 7), 0),  # Tuesday after 16:00 CET: its own
        (date(2025, 12, 26), date(2025, 12, 24), 2),
        (date(2025, 12, 28), date(2025, 12, 24), 4),  # Sunday after Christmas
    ],
)
def test_the_default_bridges_easter_and_christmas(
    day: date, rate_date: date, age_days: int
) -> None:
    history = EASTER if day.year == 2026 else CHRISTMAS
    quote = usable(day, history, DEFAULT_MAX_RATE_AGE_DAYS)
    assert quote is not None and quote.rate_date == rate_date
    assert rate_age_days(quote.rate_date, day) == age_days


@pytest.mark.parametrize("day", [date(2026, 4, 7), date(2025, 12, 29)])
def test_a_run_before_the_publication_still_has_a_rate(day: date) -> None:
    """The Tuesday after Easter, or the Monday after Christmas 2025, run before the ECB
    publishes at 16:00 CET: the latest rate is 5 days old, and still used."""
    before_publication = [(d, r) for d, r in (EASTER + CHRISTMAS) if d < day]
    quote = usable(day, sorted(before_publication), DEFAULT_MAX_RATE_AGE_DAYS)
    assert quote is not None
    assert rate_age_days(quote.rate_date, day) == 5


def test_one_day_older_than_the_limit_is_not_used() -> None:
    history = [(date(2026, 4, 2), Decimal("1.1525"))]
    assert usable(date(2026, 4, 7), history, 5) is not None
    assert usable(date(2026, 4, 8), history, 5) is None
    assert usable(date(2026, 4, 2), history, 0) is not None
    assert usable(date(2026, 4, 3), history, 0) is None


def test_the_detail_names_the_currency_its_latest_rate_and_its_age() -> None:
    latest = RateQuote("RUB", Decimal("117.201"), date(2022, 3, 1), SOURCE_ECB)
    assert no_rate_detail("RUB", date(2026, 10, 14), latest, 5) == (
        "no rate for RUB within 5 days: latest is 2022-03-01, 1688 days old"
    )
    assert no_rate_detail("AED", date(2026, 10, 14), None, 5) == (
        "no rate for AED on or before 2026-10-14"
    )


DAY = date(2026, 4, 8)  # the Wednesday after Easter; USD's last rate is Thursday's


def _store() -> MemoryEodStore:
    at = datetime(2026, 4, 8, 9)
    rows = [
        staged_row("P1", "100.00", "USD", at=at),
        staged_row("P2", "100.00", "GBP", at=at + timedelta(minutes=1)),
    ]
    published = {"USD": [(date(2026, 4, 2), Decimal("1.1525"))],
                  "GBP": [(date(2026, 4, 8), Decimal("0.86893"))]}  # fmt: skip
    return MemoryEodStore(rows, [journal_of(r) for r in rows],
                          [MerchantTerms("M1", "EUR", 150, 10)], published=published)  # fmt: skip


@pytest.mark.parametrize(("limit", "held"), [(5, 1), (6, 0)])
def test_a_stale_pair_is_held_no_rate_with_its_age(limit: int, held: int) -> None:
    store = _store()
    settings = Settings(fx_max_rate_age_days=limit)
    request = RunRequest(DAY, datetime(2026, 4, 8, 21, 30), allow_empty=True)
    report = close_day(store, settings, request, "run", load_rulebook(None))
    assert report.counts["fx_held"]["no_rate"] == held
    item = store.results[DAY].items["P1"]
    if held:
        assert (item.outcome, item.reason) == ("held", "no_rate")
        detail = "no rate for USD within 5 days: latest is 2026-04-02, 6 days old"
        assert item.reason_detail == detail
    else:
        assert item.reason_detail is None
    assert store.results[DAY].items["P2"].reason is None  # GBP's own-day rate converts


def test_the_fraud_screen_converts_nothing_with_a_stale_rate() -> None:
    """The fraud screen's EUR amounts obey the same limit as settlement."""
    store = _store()
    fresh = fx_step.to_eur_converter(fx_step.quote_source(store, DAY, 6))
    stale = fx_step.to_eur_converter(fx_step.quote_source(store, DAY, 5))
    assert fresh(Money(11525, "USD")) == Money(10000, "EUR")
    assert stale(Money(11525, "USD")) is None
    assert stale(Money(86893, "GBP")) == Money(100000, "EUR")
