"""The rulebook: which rules run, with what parameters and scores, and the decision thresholds.

Built from TOML: the shipped `default_rules.toml`, with an optional override file laid over
it key by key, so an override names only what it changes. Every problem is a
`RulebookError` naming the section and key, raised at load time rather than mid-batch.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from typing import Any

from settlement.domain.fraud.activity import CardActivity, TerminalActivity
from settlement.domain.fraud.model import Hit
from settlement.domain.fraud.params import RulebookError, read_params
from settlement.domain.fraud.registry import RULES
from settlement.domain.fraud.spec import CardRule, TerminalRule

DEFAULT_RULES_FILE = "default_rules.toml"
_RULE_KEYS = ("enabled", "score")


@dataclass(frozen=True, slots=True)
class ActiveRule:
    name: str
    score: int
    spec: CardRule[Any] | TerminalRule[Any]
    params: Any

    @property
    def horizon(self) -> timedelta:
        horizon: timedelta = self.spec.horizon(self.params)
        return horizon


CardCheck = tuple[str, int, Callable[[CardActivity, Any], Sequence[Hit]], Any]
TerminalCheck = tuple[str, int, Callable[[TerminalActivity, Any], Sequence[Hit]], Any]


@dataclass(frozen=True, slots=True)
class RulebookSource:
    text: str | None  # a rules file's TOML laid over the defaults; None: the defaults


@dataclass(frozen=True, slots=True)
class Rulebook:
    rules: tuple[ActiveRule, ...]  # enabled rules only, in registry order
    review_at: int
    decline_at: int
    # What `load_rulebook` read it from: the overlay file's text, None for the defaults alone.
    # Another process rebuilds the same rulebook from it (the rules hold functions, which
    # do not pickle); a rulebook built otherwise has no source and stays in its process.
    source: RulebookSource | None = field(default=None, compare=False, repr=False)
    # (name, score, check, params), resolved once: the screen runs them per card and terminal
    card_checks: tuple[CardCheck, ...] = field(init=False)
    terminal_checks: tuple[TerminalCheck, ...] = field(init=False)

    def __post_init__(self) -> None:
        card: list[CardCheck] = []
        terminal: list[TerminalCheck] = []
        for rule in self.rules:
            if isinstance(rule.spec, CardRule):
                card.append((rule.name, rule.score, rule.spec.check, rule.params))
            else:
                terminal.append((rule.name, rule.score, rule.spec.check, rule.params))
        object.__setattr__(self, "card_checks", tuple(card))
        object.__setattr__(self, "terminal_checks", tuple(terminal))

    @property
    def card_rules(self) -> tuple[ActiveRule, ...]:
        return tuple(rule for rule in self.rules if isinstance(rule.spec, CardRule))

    @property
    def terminal_rules(self) -> tuple[ActiveRule, ...]:
        return tuple(rule for rule in self.rules if isinstance(rule.spec, TerminalRule))

    @property
    def card_lookback_days(self) -> int:
        """Business dates before the run date the EOD run must load per card."""
        return _days(self.card_rules)

    @property
    def terminal_lookback_days(self) -> int:
        return _days(self.terminal_rules)

    def scenarios(self, rule: str) -> tuple[str, ...]:
        return RULES[rule].scenarios


def _days(rules: tuple[ActiveRule, ...]) -> int:
    longest = max((rule.horizon for rule in rules), default=timedelta(0))
    return math.ceil(longest / timedelta(days=1))


def default_rules_text() -> str:
    return resources.files(__package__).joinpath(DEFAULT_RULES_FILE).read_text("utf-8")


def _parse(text: str, origin: str) -> dict[str, Any]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulebookError(f"{origin} is not valid TOML: {error}") from None
    unknown = sorted(set(document) - {"decision", "rules"})
    if unknown:
        raise RulebookError(f"{origin}: unknown section [{unknown[0]}]")
    for key in ("decision", "rules"):
        if not isinstance(document.get(key, {}), dict):
            raise RulebookError(f"{origin}: [{key}] must be a table")
    rules = document.get("rules", {})
    not_tables = sorted(name for name, section in rules.items() if not isinstance(section, dict))
    if not_tables:
        raise RulebookError(f"{origin}: [rules.{not_tables[0]}] must be a table")
    strangers = sorted(set(rules) - set(RULES))
    if strangers:
        raise RulebookError(f"{origin}: unknown rule [rules.{strangers[0]}] (known: {list(RULES)})")
    return document


def _overlay(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    rules = {name: dict(section) for name, section in base.get("rules", {}).items()}
    for name, section in override.get("rules", {}).items():
        rules.setdefault(name, {}).update(section)
    decision = {**base.get("decision", {}), **override.get("decision", {})}
    return {"decision": decision, "rules": rules}


def _int_key(section: dict[str, Any], key: str, where: str) -> int:
    value = section.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RulebookError(f"[{where}] {key}: expected a whole number >= 0, got {value!r}")
    return value


def _active(name: str, section: dict[str, Any]) -> ActiveRule | None:
    where = f"rules.{name}"
    enabled = section.get("enabled")
    if not isinstance(enabled, bool):
        raise RulebookError(f"[{where}] enabled: expected true or false, got {enabled!r}")
    score = _int_key(section, "score", where)
    values = {key: value for key, value in section.items() if key not in _RULE_KEYS}
    params = read_params(RULES[name].params_type, where, values)
    return ActiveRule(name, score, RULES[name], params) if enabled else None


def default_params(name: str) -> Any:
    """Rule `name`'s shipped parameters, enabled or not: the one home of a list another
    package draws from (the simulator's high-risk MCCs)."""
    section = _parse(default_rules_text(), DEFAULT_RULES_FILE)["rules"][name]
    values = {key: value for key, value in section.items() if key not in _RULE_KEYS}
    return read_params(RULES[name].params_type, f"rules.{name}", values)


def load_rulebook(toml_text: str | None = None) -> Rulebook:
    """The shipped defaults, with `toml_text` (a `--rules FILE`'s content) laid over them."""
    document = _parse(default_rules_text(), DEFAULT_RULES_FILE)
    if toml_text is not None:
        document = _overlay(document, _parse(toml_text, "rules file"))
    sections = document.get("rules", {})
    active = [_active(name, sections[name]) for name in RULES if name in sections]
    decision = document.get("decision", {})
    review_at = _int_key(decision, "review_at", "decision")
    decline_at = _int_key(decision, "decline_at", "decision")
    if not 0 < review_at <= decline_at:
        raise RulebookError(
            f"[decision]: need 0 < review_at <= decline_at, got {review_at} and {decline_at}"
        )
    unknown = sorted(set(decision) - {"review_at", "decline_at"})
    if unknown:
        raise RulebookError(f"[decision]: unknown key {unknown[0]!r}")
    rules = tuple(rule for rule in active if rule is not None)
    return Rulebook(rules, review_at, decline_at, RulebookSource(toml_text))
