"""Preset mixes (`--profile`) and the rules for overriding them from the command line.

A profile fixes every rate; `--fraud-rate` / `--fault-rate` rescale a profile's mix to a new
total, keeping its proportions, and `--scenario NAME=RATE` / `--fault KIND=RATE` set one
rate exactly. Rates are shares of the day's N transactions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Final

from pos_simulator.cross_border import DEFAULT_SHARE
from pos_simulator.vocabulary import DELIVERY_FAULTS, FRAUD_LABELS, MALFORMED_FAULTS

# How a total fraud rate is shared among the scenarios, and a delivery-fault rate among kinds.
FRAUD_MIX: Final = {
    "card_testing": 0.30,
    "stolen_card_spree": 0.20,
    "compromised_terminal": 0.20,
    "impossible_travel": 0.10,
    "amount_spike": 0.10,
    "high_risk_mcc_night": 0.10,
}
DELIVERY_MIX: Final = {
    "lost": 0.25,
    "duplicated": 0.30,
    "altered_amount": 0.15,
    "late": 0.20,
    "orphan_refund": 0.10,
}


def _split(total: float, mix: dict[str, float]) -> dict[str, float]:
    return {name: total * share for name, share in mix.items()}


def _malformed(total: float) -> dict[str, float]:
    return {kind: total / len(MALFORMED_FAULTS) for kind in MALFORMED_FAULTS}


@dataclass(frozen=True, slots=True)
class Mix:
    """Every rate of a generated day."""

    fraud: dict[str, float] = field(default_factory=lambda: _split(0.01, FRAUD_MIX))
    faults: dict[str, float] = field(
        default_factory=lambda: _split(0.01, DELIVERY_MIX) | _malformed(0.002)
    )
    refund_rate: float = 0.01
    reversal_rate: float = 0.005
    abroad_share: float = 0.08  # card-present purchases made with a foreign card
    online_foreign_share: float = 0.35  # online purchases made with a foreign card
    cross_currency_share: float = DEFAULT_SHARE  # merchants settling in another currency

    def with_fraud_total(self, total: float) -> Mix:
        return replace(self, fraud=_split(total, _shares(self.fraud, FRAUD_MIX)))

    def with_delivery_total(self, total: float) -> Mix:
        delivery = {kind: self.faults[kind] for kind in DELIVERY_FAULTS}
        rescaled = _split(total, _shares(delivery, DELIVERY_MIX))
        return replace(self, faults=self.faults | rescaled)

    def with_malformed_total(self, total: float) -> Mix:
        return replace(self, faults=self.faults | _malformed(total))

    def with_rates(self, fraud: dict[str, float], faults: dict[str, float]) -> Mix:
        unknown = (set(fraud) - set(FRAUD_LABELS)) | (set(faults) - set(self.faults))
        if unknown:
            raise ValueError(f"unknown scenario or fault: {', '.join(sorted(unknown))}")
        return replace(self, fraud=self.fraud | fraud, faults=self.faults | faults)


def _shares(rates: dict[str, float], fallback: dict[str, float]) -> dict[str, float]:
    total = sum(rates.values())
    return {name: rate / total for name, rate in rates.items()} if total > 0 else fallback


PROFILES: Final[dict[str, Mix]] = {
    "default": Mix(),
    "clean": Mix(fraud=_split(0.0, FRAUD_MIX), faults=_split(0.0, DELIVERY_MIX) | _malformed(0)),
    "fraud-heavy": Mix(fraud=_split(0.05, FRAUD_MIX)),
    "faulty": Mix(faults=_split(0.05, DELIVERY_MIX) | _malformed(0.01)),
    "tourist": Mix(abroad_share=0.30, online_foreign_share=0.5),
}
PROFILE_HELP: Final = {
    "default": "1% fraud, 1% delivery faults, 0.2% malformed, 8% foreign cards",
    "clean": "no fraud, no faults: every message matches the journal",
    "fraud-heavy": "5% fraud for rule tuning",
    "faulty": "5% delivery faults and 1% malformed for reconciliation demos",
    "tourist": "30% of card-present spend on foreign cards",
}


def parse_assignment(text: str) -> tuple[str, float]:
    """`card_testing=0.004` -> ("card_testing", 0.004)."""
    name, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"expected NAME=RATE, got {text!r}")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise ValueError(f"rate in {text!r} is not a number") from None
