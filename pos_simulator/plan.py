"""How many of each kind of transaction the day holds, fixed before any is generated.

Counts are rate x N rounded, so `--transactions N` yields exactly N journal rows and the
fraud labels match their rates, except a scenario whose story sizes do not scale with N (a
compromised terminal's burst, `fraud.plan_stories`): its stories are drawn here, and its
count is their sum. Only faults are drawn per transaction (binomial counts).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from pos_simulator.config import DayConfig
from pos_simulator.fraud import SCENARIOS, plan_stories


@dataclass(frozen=True, slots=True)
class DayPlan:
    legit: int  # everyday purchases (some become orphan refunds)
    refunds: int  # refunds of earlier purchases (fall back to purchases early in the day)
    void_pairs: int  # a purchase and its reversal minutes later: two transactions each
    fraud: dict[str, int]  # transactions per scenario
    stories: dict[str, list[int]]  # per scenario, its stories' lengths (summing to `fraud`)
    orphan_share: float  # chance that an everyday purchase is replaced by an orphan refund


def plan_day(config: DayConfig) -> DayPlan:
    n = config.transactions
    stories = {
        name: plan_stories(random.Random(f"stories:{name}:{config.seed}"), n, rate, SCENARIOS[name])
        for name, rate in config.fraud_rates.items()
    }
    fraud = {name: sum(lengths) for name, lengths in stories.items()}
    refunds = math.floor(n * config.mix.refund_rate + 0.5)
    void_pairs = math.floor(n * config.mix.reversal_rate + 0.5)
    legit = n - sum(fraud.values()) - refunds - 2 * void_pairs
    if legit < 0:
        raise ValueError("rates leave no room for everyday purchases: lower them")
    orphan_rate = config.mix.faults.get("orphan_refund", 0.0)
    orphan_share = min(1.0, orphan_rate * n / legit) if legit else 0.0
    return DayPlan(legit, refunds, void_pairs, fraud, stories, orphan_share)
