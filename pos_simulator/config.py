"""What one generated day is made of: the arguments that, with the seed, fix every byte."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from pos_simulator.density import GENERATE_SIZES
from pos_simulator.profiles import Mix
from pos_simulator.timeline import BusinessDay
from pos_simulator.vocabulary import FRAUD_LABELS, MALFORMED_FAULTS

# Above this, "faults" stop being exceptions and the day stops looking like a day.
MAX_FAULT_SHARE = 0.5
MAX_PLANNED_SHARE = 0.9


@dataclass(frozen=True, slots=True)
class DayConfig:
    seed: int
    business_date: date
    transactions: int
    # A library caller that gives no sizes gets `pos-sim generate`'s small day; the commands
    # size a day from its transactions (pos_simulator/density.py).
    merchants: int = GENERATE_SIZES.merchants
    cards: int = GENERATE_SIZES.cards
    mix: Mix = field(default_factory=Mix)
    currencies: frozenset[str] | None = None
    timezone: str = "Europe/Amsterdam"
    cutoff: time = time(22, 0)

    def __post_init__(self) -> None:
        if self.transactions < 1:
            raise ValueError("transactions must be at least 1")
        rates = {**self.mix.fraud, **self.mix.faults}
        rates |= {"refund_rate": self.mix.refund_rate, "reversal_rate": self.mix.reversal_rate}
        rates |= {"abroad_share": self.mix.abroad_share}
        rates |= {"online_foreign_share": self.mix.online_foreign_share}
        rates |= {"cross_currency_share": self.mix.cross_currency_share}
        for name, rate in rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {rate}")
        if sum(self.mix.faults.values()) > MAX_FAULT_SHARE:
            raise ValueError(f"fault rates add up to more than {MAX_FAULT_SHARE}")
        planned = sum(self.mix.fraud.values()) + self.mix.refund_rate + 2 * self.mix.reversal_rate
        if planned > MAX_PLANNED_SHARE:
            raise ValueError("fraud, refund and reversal rates leave too few plain purchases")

    @property
    def day(self) -> BusinessDay:
        return BusinessDay(self.business_date, self.timezone, self.cutoff)

    @property
    def fraud_rates(self) -> dict[str, float]:
        return {name: self.mix.fraud.get(name, 0.0) for name in FRAUD_LABELS}

    @property
    def malformed_rates(self) -> dict[str, float]:
        return {kind: self.mix.faults.get(kind, 0.0) for kind in MALFORMED_FAULTS}
