"""Rule-based fraud screening for the end-of-day run: pure functions, no I/O, no clock.

rulebook = load_rulebook(toml_text)            # None: the shipped default_rules.toml
flags = screen_card(card_txs, business_date, rulebook, to_eur)   # once per card
flags += screen_terminal(terminal_txs, business_date, rulebook)  # once per terminal
decisions = decide(flags, rulebook)            # transaction_id -> approve/review/decline
scorecard = score_against_labels(decisions, labels, population_ids, rulebook)
"""

from settlement.domain.fraud.activity import ToEur
from settlement.domain.fraud.decision import action_for, decide
from settlement.domain.fraud.eur import RateTableToEur, rate_table_to_eur
from settlement.domain.fraud.model import Action, FraudDecision, FraudFlag, Hit
from settlement.domain.fraud.params import RulebookError
from settlement.domain.fraud.registry import RULES
from settlement.domain.fraud.rulebook import ActiveRule, Rulebook, default_rules_text, load_rulebook
from settlement.domain.fraud.scorecard import FraudScorecard, score_against_labels
from settlement.domain.fraud.screening import screen_card, screen_terminal

__all__ = [
    "RULES",
    "Action",
    "RateTableToEur",
    "ActiveRule",
    "FraudDecision",
    "FraudFlag",
    "FraudScorecard",
    "Hit",
    "Rulebook",
    "RulebookError",
    "ToEur",
    "action_for",
    "decide",
    "default_rules_text",
    "load_rulebook",
    "rate_table_to_eur",
    "score_against_labels",
    "screen_card",
    "screen_terminal",
]
