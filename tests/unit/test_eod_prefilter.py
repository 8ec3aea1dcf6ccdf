"""The fraud pre-filter is sound: a group it rules out gets no flag from the real rules.

Generated groups are dense on purpose (minutes apart, tiny and huge amounts, a currency
without a rate, countries near and far, card-not-present modes, risky MCCs at night,
history beside today) and rulebooks are random overlays of every parameter, so rules trip
often and the implication "not may_hit => no flags" is tested where it matters.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from settlement.adapters.purchase_rows import FIELDS, Raw, builder, time_parser
from settlement.domain.fraud import (
    RULES,
    ActiveRule,
    Hit,
    Rulebook,
    ToEur,
    load_rulebook,
    rate_table_to_eur,
    screen_card,
    screen_terminal,
)
from settlement.domain.fraud.bound import ROW_FIELDS, Bound, BurstBound
from settlement.domain.fraud.rules import compromised_terminal
from settlement.domain.fraud.spec import CardRule, TerminalRule
from settlement.domain.money import Money
from settlement.eod import prefilter
from tests.support.example_budget import examples

DAY = date(2026, 3, 11)
START = datetime(2026, 3, 10, 22, 0)
RATES = {"USD": Decimal("1.0850"), "JPY": Decimal("161.50")}
TABLE = rate_table_to_eur(RATES)


def _plain_to_eur(amount: Money) -> Money | None:
    """A converter that is not a rate table: the filter must take the same slow path."""
    rate = RATES.get(amount.currency)
    if amount.currency == "EUR":
        return amount
    return None if rate is None else TABLE(amount)


row_parts = st.tuples(
    st.integers(0, 240),  # minutes after START (history before DAY's midnight)
    st.sampled_from(["EUR", "EUR", "USD", "JPY", "AED"]),
    st.sampled_from([100, 250, 2_000, 30_000, 120_000, 400_000]),
    st.sampled_from(["NL", "NL", "DE", "US", "JP", "XX"]),
    st.sampled_from(["chip", "contactless", "ecommerce", "manual"]),
    st.sampled_from(["5411", "7995"]),
    st.integers(0, 3),  # card (for terminal groups)
)


def _rows(parts: list[tuple[int, str, int, str, str, str, int]]) -> list[Raw]:
    rows = []
    for n, (minute, currency, amount, country, mode, mcc, card) in enumerate(parts):
        at = START + timedelta(minutes=minute)
        rows.append((
            f"T{n:03d}", "purchase", None, "M1", "T1", f"card-{card}", "424242", "1111",
            "visa", "NL", country, mcc, mode, amount, currency, at + timedelta(hours=1), 60,
            at, at.date() if at.date() == DAY else DAY - timedelta(days=1),
        ))  # fmt: skip
    return sorted(rows, key=lambda row: (row[17], row[0]))


@st.composite
def rulebook_texts(draw: st.DrawFn) -> str:
    on = lambda: str(draw(st.booleans())).lower()  # noqa: E731
    money = lambda *v: draw(st.sampled_from(v))  # noqa: E731
    text = f"""
[rules.over_limit]
enabled = {on()}
limit_eur = "{money("5.00", "300.00", "2500.00")}"
fallback_limits = {{ AED = "{money("1.00", "1000.00")}" }}
[rules.velocity]
enabled = {on()}
max_count = {draw(st.integers(1, 4))}
window_min = {draw(st.integers(1, 90))}
[rules.spend_velocity]
enabled = {on()}
limit_eur = "{money("10.00", "500.00", "1500.00")}"
min_count = {draw(st.integers(1, 3))}
window_min = {draw(st.integers(1, 120))}
[rules.card_testing]
enabled = {on()}
small_amount_eur = "{money("1.00", "3.00", "30.00")}"
max_count = {draw(st.integers(1, 3))}
window_min = {draw(st.integers(1, 90))}
[rules.impossible_travel]
enabled = {on()}
max_speed_kmh = {draw(st.integers(50, 900))}
min_distance_km = {draw(st.integers(1, 1000))}
unknown_country_window_min = {draw(st.integers(0, 120))}
card_not_present_modes = {draw(st.sampled_from(["[]", '["ecommerce"]', '["ecommerce", "manual"]']))}
[rules.amount_spike]
enabled = {on()}
multiplier = "{money("1.5", "3", "10")}"
min_history = {draw(st.integers(1, 4))}
min_amount_eur = "{money("1.00", "20.00", "250.00")}"
[rules.high_risk_mcc_night]
enabled = {on()}
night_start = "{money("00:00", "22:00")}"
night_end = "{money("05:00", "23:30")}"
[rules.compromised_terminal]
enabled = {on()}
max_cards = {draw(st.integers(1, 3))}
window_min = {draw(st.integers(1, 90))}
baseline_multiplier = "{money("1", "2")}"
"""
    return text


def rulebooks() -> st.SearchStrategy[Rulebook]:
    return rulebook_texts().map(load_rulebook)


@dataclass(frozen=True)
class Case:
    rows: list[Raw]
    rulebook: Rulebook
    to_eur: ToEur


cases = st.builds(
    Case,
    st.lists(row_parts, min_size=1, max_size=14).map(_rows),
    rulebooks(),
    st.sampled_from([TABLE, _plain_to_eur]),
)


def _group(rows: list[Raw], to_eur: ToEur) -> prefilter.RawGroup:
    today = [row[18] == DAY for row in rows]
    return prefilter.RawGroup(rows, today, to_eur, time_parser("postgresql"))


def _narrowed(rows: list[Raw], columns: frozenset[str]) -> list[Raw]:
    """What the screen's narrow read returns: None outside the filter's columns."""
    keep = [name in columns for name in FIELDS]
    return [tuple(v if k else None for v, k in zip(row, keep, strict=True)) for row in rows]


def _check(found: prefilter.Prefilter | None, case: Case, flagged: Callable[[], bool]) -> None:
    assert found is not None  # every shipped rule has a bound
    may_hit = found.may_hit(_group(case.rows, case.to_eur))
    narrow = _narrowed(case.rows, found.columns)
    assert found.may_hit(_group(narrow, case.to_eur)) == may_hit, "a column is missing"
    if not may_hit:
        assert not flagged(), "the pre-filter ruled out a group the rules flag"


@settings(max_examples=examples(600), deadline=None)
@given(cases)
def test_a_card_the_filter_rules_out_is_never_flagged(case: Case) -> None:
    build = builder("postgresql")
    txs = [build(row) for row in case.rows]
    _check(
        prefilter.card_filter(case.rulebook),
        case,
        lambda: bool(screen_card(txs, DAY, case.rulebook, case.to_eur)),
    )


@settings(max_examples=examples(400), deadline=None)
@given(cases)
def test_a_terminal_the_filter_rules_out_is_never_flagged(case: Case) -> None:
    build = builder("postgresql")
    txs = [build(row) for row in case.rows]
    _check(
        prefilter.terminal_filter(case.rulebook),
        case,
        lambda: bool(screen_terminal(txs, DAY, case.rulebook)),
    )


def test_the_filter_rules_out_most_of_an_ordinary_day() -> None:
    """The point of it: a card with a couple of ordinary purchases is not screened."""
    rows = _rows([(600, "EUR", 2_000, "NL", "chip", "5411", 0),
                  (900, "USD", 4_500, "NL", "contactless", "5411", 0)])  # fmt: skip
    found = prefilter.card_filter(load_rulebook())
    assert found is not None
    assert not found.may_hit(_group(rows, TABLE))


def test_a_rule_without_a_bound_switches_the_filter_off() -> None:
    def check(_card: object, _params: object) -> list[object]:
        return []

    stranger = ActiveRule("stranger", 10, CardRule(object, check, ()), object())
    shipped = load_rulebook()
    rulebook = Rulebook((*shipped.rules, stranger), shipped.review_at, shipped.decline_at)
    assert prefilter.card_filter(rulebook) is None
    assert prefilter.terminal_filter(rulebook) is not None


def _with(*extra: ActiveRule) -> Rulebook:
    shipped = load_rulebook()
    return Rulebook((*shipped.rules, *extra), shipped.review_at, shipped.decline_at)


def _no_hits(_group: object, _params: object) -> list[Hit]:
    return []


def test_a_terminal_rule_without_a_bound_switches_the_terminal_bounds_off() -> None:
    stranger = ActiveRule("stranger", 10, TerminalRule(object, _no_hits, ()), object())
    rulebook = _with(stranger)
    assert prefilter.terminal_filter(rulebook) is None
    assert prefilter.terminal_burst_bound(rulebook) is None
    assert prefilter.card_filter(rulebook) is not None


def test_a_terminal_bound_with_no_burst_form_keeps_the_terminal_screen_in_python() -> None:
    bound: Bound[object] = Bound(("mcc",), lambda _group, _params: True)
    rule = ActiveRule("mcc_watch", 10, TerminalRule(object, _no_hits, (), bound=bound), object())
    rulebook = _with(rule)
    assert prefilter.terminal_burst_bound(rulebook) is None
    found = prefilter.terminal_filter(rulebook)
    assert found is not None and "mcc" in found.columns


def test_burst_bounds_combine_into_the_loosest_count_in_the_widest_window() -> None:
    def terminal(name: str, max_cards: int, window_min: int) -> ActiveRule:
        params = compromised_terminal.Params(max_cards, window_min, Decimal(1), 3, ("ecommerce",))
        return ActiveRule(name, 10, compromised_terminal.RULE, params)

    shipped = load_rulebook()
    rulebook = Rulebook(
        (terminal("wide", 8, 30), terminal("tight", 3, 10)), shipped.review_at, shipped.decline_at
    )
    assert prefilter.terminal_burst_bound(rulebook) == BurstBound(1800, 3)


def test_every_registered_rule_has_a_bound_and_the_soundness_tests_draw_it() -> None:
    """A new rule without a bound is exact but screens every group; a new rule with one must
    be added to `rulebook_texts`, or the property tests above never try its bound."""
    assert all(spec.bound is not None for spec in RULES.values())
    drawn = tomllib.loads(find(rulebook_texts(), lambda _text: True))["rules"]
    assert set(drawn) == set(RULES)


def test_the_rows_the_screen_reads_are_laid_out_as_the_bounds_index_them() -> None:
    assert FIELDS == ROW_FIELDS


def test_a_bound_reading_a_field_no_row_has_is_refused() -> None:
    with pytest.raises(ValueError, match="amount_eur"):
        Bound(("amount_eur",), lambda _group, _params: True)
