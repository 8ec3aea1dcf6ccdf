"""Amounts: euro-denominated distributions put into a currency's minor units, and back to text.

`amount_text` is the hot-path twin of `settlement.domain.money.Money.format` (which stays
the definition: a test checks they agree for every exponent); it avoids building a `Money`
per message, which cost a third of the per-row budget in the benchmark.
"""

from __future__ import annotations

import math

from pos_simulator.timeline import THREE_DIGITS, TWO_DIGITS
from settlement.domain.currencies import minor_unit_exponent


def amount_text(amount_minor: int, exponent: int) -> str:
    """Major units with exactly `exponent` decimals: (1250, 2) -> "12.50", (1250, 0) -> "1250"."""
    if exponent == 2:
        units, fraction = divmod(amount_minor, 100)
        return f"{units}.{TWO_DIGITS[fraction]}"
    if exponent == 0:
        return str(amount_minor)
    if exponent == 3:
        units, fraction = divmod(amount_minor, 1000)
        return f"{units}.{THREE_DIGITS[fraction]}"
    units, fraction = divmod(amount_minor, 10**exponent)
    return f"{units}.{fraction:0{exponent}d}"


def log_minor_per_eur(currency: str, eur_rate: float) -> float:
    """log of (minor units of `currency` per euro): shifts a euro lognormal into the currency."""
    return math.log(eur_rate * 10 ** minor_unit_exponent(currency))


def minor_from_eur(eur: float, currency: str, eur_rate: float) -> int:
    """A euro figure as minor units of `currency`, at least one minor unit."""
    minor_per_major: int = 10 ** minor_unit_exponent(currency)
    return max(1, round(eur * eur_rate * minor_per_major))


def round_to_step(amount_minor: int, step_minor: int) -> int:
    """Round to a customary step (fees like 0.10 EUR, 10 JPY), never below one step."""
    return max(step_minor, (amount_minor + step_minor // 2) // step_minor * step_minor)
