"""Command-line options -> `DayConfig`: profiles, rate overrides, currencies, cutoff.

Kept apart from the Typer commands so the translation is a plain function to test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, time

from pos_simulator.config import DayConfig
from pos_simulator.profiles import PROFILES, Mix, parse_assignment


@dataclass(frozen=True, slots=True)
class RateOptions:
    """Rates as typed on the command line; None means "as the profile says"."""

    profile: str = "default"
    fraud_rate: float | None = None
    fault_rate: float | None = None
    malformed_rate: float | None = None
    scenarios: list[str] = field(default_factory=list)  # NAME=RATE
    faults: list[str] = field(default_factory=list)  # KIND=RATE
    refund_rate: float | None = None
    reversal_rate: float | None = None
    abroad_share: float | None = None
    cross_currency_share: str | None = None  # as typed: parsed by `parse_share`


def build_mix(options: RateOptions) -> Mix:
    if options.profile not in PROFILES:
        raise ValueError(f"unknown profile {options.profile!r}; one of {', '.join(PROFILES)}")
    mix = PROFILES[options.profile]
    for name in ("fraud_rate", "fault_rate", "malformed_rate"):
        total = getattr(options, name)
        if total is not None and not 0.0 <= total <= 1.0:
            raise ValueError(f"--{name.replace('_', '-')} must be between 0 and 1, got {total}")
    if options.fraud_rate is not None:
        mix = mix.with_fraud_total(options.fraud_rate)
    if options.fault_rate is not None:
        mix = mix.with_delivery_total(options.fault_rate)
    if options.malformed_rate is not None:
        mix = mix.with_malformed_total(options.malformed_rate)
    scenarios = dict(parse_assignment(text) for text in options.scenarios)
    faults = dict(parse_assignment(text) for text in options.faults)
    mix = mix.with_rates(scenarios, faults)
    return replace(
        mix,
        refund_rate=_given(options.refund_rate, mix.refund_rate),
        reversal_rate=_given(options.reversal_rate, mix.reversal_rate),
        abroad_share=_given(options.abroad_share, mix.abroad_share),
        cross_currency_share=_given(
            parse_share("--cross-currency-share", options.cross_currency_share),
            mix.cross_currency_share,
        ),
    )


def parse_share(option: str, text: str | None) -> float | None:
    """A share typed as a number from 0 to 1 ("0.2"); "20%", "nan", "2" are refused in one
    line here rather than in a usage box (or, for nan, not at all) by the CLI parser."""
    if text is None:
        return None
    try:
        share = float(text)
    except ValueError:
        share = math.nan
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"{option} must be a number from 0 to 1 (e.g. 0.2), got {text!r}")
    return share


def _given(value: float | None, default: float) -> float:
    return default if value is None else value


def parse_currencies(text: str | None) -> frozenset[str] | None:
    if not text:
        return None
    return frozenset(code.strip().upper() for code in text.split(",") if code.strip())


def parse_cutoff(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"cutoff {text!r} is not HH:MM") from None


def build_config(
    *,
    seed: int,
    business_date: date,
    transactions: int,
    merchants: int,
    cards: int,
    rates: RateOptions,
    currencies: str | None,
    timezone: str,
    cutoff: time,
) -> DayConfig:
    return DayConfig(
        seed=seed,
        business_date=business_date,
        transactions=transactions,
        merchants=merchants,
        cards=cards,
        mix=build_mix(rates),
        currencies=parse_currencies(currencies),
        timezone=timezone,
        cutoff=cutoff,
    )
