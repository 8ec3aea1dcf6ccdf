"""Every fraud rule cardsettle knows, by the name used in the rules file.

Adding a rule: write one module under `rules/` exposing `RULE` (its check and, beside it,
the pre-filter `bound` the end-of-day screen uses to skip cards it cannot flag; see
`bound.py`), add one line here, and give it a `[rules.<name>]` section in
`default_rules.toml` (its parameters and score live there). The soundness test of bounds
(tests/unit/test_eod_prefilter.py) fails until it draws the new rule's parameters too.
"""

from __future__ import annotations

from typing import Any, Final

from settlement.domain.fraud.rules import (
    amount_spike,
    card_testing,
    compromised_terminal,
    high_risk_mcc_night,
    impossible_travel,
    over_limit,
    spend_velocity,
    velocity,
)
from settlement.domain.fraud.spec import CardRule, TerminalRule

RULES: Final[dict[str, CardRule[Any] | TerminalRule[Any]]] = {
    "over_limit": over_limit.RULE,
    "velocity": velocity.RULE,
    "spend_velocity": spend_velocity.RULE,
    "card_testing": card_testing.RULE,
    "impossible_travel": impossible_travel.RULE,
    "amount_spike": amount_spike.RULE,
    "high_risk_mcc_night": high_risk_mcc_night.RULE,
    "compromised_terminal": compromised_terminal.RULE,
}
