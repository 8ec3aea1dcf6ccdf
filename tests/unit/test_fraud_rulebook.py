"""The rules file: shipped defaults, overrides laid over them, and errors naming rule and key."""

from __future__ import annotations

import tomllib
from datetime import time

import pytest

from settlement.domain.fraud import (
    RULES,
    ActiveRule,
    RulebookError,
    default_rules_text,
    load_rulebook,
)
from settlement.domain.money import Money


def _rule(name: str, toml_text: str | None = None) -> ActiveRule:
    return next(rule for rule in load_rulebook(toml_text).rules if rule.name == name)


def test_defaults_enable_every_registered_rule_with_its_thresholds() -> None:
    rulebook = load_rulebook()
    assert [rule.name for rule in rulebook.rules] == list(RULES)
    assert (rulebook.review_at, rulebook.decline_at) == (50, 90)
    velocity = _rule("velocity")
    assert (velocity.score, velocity.params.max_count, velocity.params.window_min) == (50, 4, 15)
    assert _rule("over_limit").params.limit_eur == Money(250_000, "EUR")
    assert _rule("over_limit").params.fallback_limits["KWD"] == Money(750_000, "KWD")
    assert _rule("high_risk_mcc_night").params.night_end == time(5, 0)


def test_every_default_section_names_a_registered_rule() -> None:
    sections = tomllib.loads(default_rules_text())["rules"]
    assert set(sections) == set(RULES)


def test_look_back_follows_the_longest_window() -> None:
    rulebook = load_rulebook()
    assert rulebook.card_lookback_days == 30  # amount_spike history
    assert rulebook.terminal_lookback_days == 1
    assert load_rulebook("[rules.amount_spike]\nenabled = false").card_lookback_days == 1


def test_an_override_changes_only_what_it_names() -> None:
    rulebook = load_rulebook(
        """
        [decision]
        decline_at = 120
        [rules.velocity]
        max_count = 7
        [rules.card_testing]
        enabled = false
        """
    )
    assert (rulebook.review_at, rulebook.decline_at) == (50, 120)
    assert _rule("velocity", "[rules.velocity]\nmax_count = 7").params.window_min == 15
    assert "card_testing" not in {rule.name for rule in rulebook.rules}
    assert {rule.name for rule in rulebook.rules} == set(RULES) - {"card_testing"}


@pytest.mark.parametrize(
    ("toml_text", "message"),
    [
        ("[rules.velocity]\nmax_cnt = 3", "[rules.velocity]: unknown parameter 'max_cnt'"),
        ('[rules.velocity]\nmax_count = "5"', "[rules.velocity] max_count: expected an integer"),
        ("[rules.velocity]\nmax_count = 0", "[rules.velocity] max_count: must be at least 1"),
        ("[rules.velocity]\nenabled = 1", "[rules.velocity] enabled: expected true or false"),
        ("[rules.velocity]\nscore = -5", "[rules.velocity] score: expected a whole number"),
        (
            "[rules.over_limit]\nlimit_eur = 2500.5",
            "[rules.over_limit] limit_eur: expected a decimal",
        ),
        ('[rules.over_limit]\nlimit_eur = "25.001"', "limit_eur: amount '25.001' has 3 decimals"),
        (
            '[rules.over_limit]\nfallback_limits = { XXX = "1.00" }',
            "[rules.over_limit] fallback_limits: unknown currency 'XXX'",
        ),
        (
            '[rules.amount_spike]\nmultiplier = "1"',
            "[rules.amount_spike] multiplier: must be above 1",
        ),
        ('[rules.high_risk_mcc_night]\nmccs = ["79"]', "mccs: '79' is not a four-digit MCC"),
        ('[rules.high_risk_mcc_night]\nnight_end = "25:00"', "night_end: expected a time"),
        (
            '[rules.impossible_travel]\ncard_not_present_modes = ["moto"]',
            "card_not_present_modes: 'moto' is not one of",
        ),
        ("[rules.teleport]\nenabled = true", "unknown rule [rules.teleport]"),
        ("[decision]\nreview_at = 95", "need 0 < review_at <= decline_at, got 95 and 90"),
        ("[decision]\nreveiw_at = 10", "[decision]: unknown key 'reveiw_at'"),
        ("[thresholds]\nx = 1", "unknown section [thresholds]"),
        ("rules = 3", "[rules] must be a table"),
        ("[rules]\nvelocity = 3", "[rules.velocity] must be a table"),
        ("[rules.velocity\n", "rules file is not valid TOML"),
    ],
)
def test_a_bad_rules_file_is_refused_with_a_message_naming_the_key(
    toml_text: str, message: str
) -> None:
    with pytest.raises(RulebookError) as error:
        load_rulebook(toml_text)
    assert message in str(error.value)


def test_a_new_rule_section_must_carry_every_parameter() -> None:
    with pytest.raises(RulebookError, match=r"\[rules.velocity\]: missing parameter 'window_min'"):
        from settlement.domain.fraud.params import read_params
        from settlement.domain.fraud.rules.velocity import Params

        read_params(Params, "rules.velocity", {"max_count": 3})


def test_toml_local_times_and_wrapping_nights_are_accepted() -> None:
    rule = _rule("high_risk_mcc_night", "[rules.high_risk_mcc_night]\nnight_start = 23:00:00")
    assert rule.params.night_start == time(23, 0)
