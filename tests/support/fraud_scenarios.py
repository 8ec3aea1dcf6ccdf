"""One builder per registered fraud rule: the scenario it exists to catch, injected on top of
seeded plain traffic (tests/support/fraud_traffic.py). `SCENARIOS` maps each rule name to it."""

from __future__ import annotations

from datetime import datetime, timedelta

from settlement.domain.transactions import EntryMode, StagedTransaction
from tests.support.fraud_traffic import Traffic

NOON = datetime(2026, 11, 27, 12, 0)  # UTC, on the business date


def _card_testing(traffic: Traffic) -> list[StagedTransaction]:
    card = traffic.cards[0]
    return [
        traffic.purchase(
            card,
            NOON + timedelta(minutes=2 * n),
            "US",
            50 + 30 * n,
            mode=EntryMode.ECOMMERCE,
            mcc="5999",
            scenario="card_testing",
        )
        for n in range(6)
    ]


def _spree(traffic: Traffic) -> list[StagedTransaction]:
    card = traffic.cards[1]
    return [
        traffic.purchase(
            card,
            NOON + timedelta(minutes=3 * n),
            card.home,
            60_000 + 5_000 * n,
            mcc="5732",
            scenario="stolen_card_spree",
        )
        for n in range(6)
    ]


def _big_purchase(traffic: Traffic) -> list[StagedTransaction]:
    card = traffic.cards[2]
    return [
        traffic.purchase(card, NOON, card.home, 320_000, mcc="5944", scenario="stolen_card_spree")
    ]


def _impossible_travel(traffic: Traffic) -> list[StagedTransaction]:
    card = next(c for c in traffic.cards if c.home == "FR")
    home = traffic.purchase(card, NOON - timedelta(minutes=40), "FR", 2_500, mode=EntryMode.CHIP)
    abroad = traffic.purchase(
        card, NOON, "US", 8_000, mode=EntryMode.MAGSTRIPE, scenario="impossible_travel"
    )
    return [home, abroad]


def _amount_spike(traffic: Traffic) -> list[StagedTransaction]:
    card = traffic.cards[3]
    return [
        traffic.purchase(
            card, NOON, card.home, card.median_eur_minor * 40, mcc="5732", scenario="amount_spike"
        )
    ]


def _mcc_night(traffic: Traffic) -> list[StagedTransaction]:
    card = traffic.cards[4]
    at = datetime(2026, 11, 27, 1, 30)  # 02:30 local in Central Europe, 01:30 London
    return [traffic.purchase(card, at, "DE", 20_000, mcc="7995", scenario="high_risk_mcc_night")]


def _compromised_terminal(traffic: Traffic) -> list[StagedTransaction]:
    return [
        traffic.purchase(
            card,
            NOON + timedelta(seconds=40 * n),
            "FR",
            1_500,
            terminal="FR-T999-0",
            scenario="compromised_terminal",
        )
        for n, card in enumerate(traffic.cards[10:22])
    ]


SCENARIOS = {
    "card_testing": _card_testing,
    "velocity": _spree,
    "spend_velocity": _spree,
    "over_limit": _big_purchase,
    "impossible_travel": _impossible_travel,
    "amount_spike": _amount_spike,
    "high_risk_mcc_night": _mcc_night,
    "compromised_terminal": _compromised_terminal,
}
