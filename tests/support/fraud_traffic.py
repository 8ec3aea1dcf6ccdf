"""A small seeded builder of plain card traffic and fraud scenarios, for the fraud rule tests.

Deliberately independent of pos_simulator: the rules are tested against traffic whose shape
is stated here. Plain cardholders make 1-5 purchases a day near home between 07:00 and 22:00
local, a fifth of them online at shops anywhere; some take a trip abroad, flying at airliner
speed plus airport time; merchants have one to three terminals.
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from settlement.domain.fraud import FraudFlag, Rulebook, screen_card, screen_terminal
from settlement.domain.fraud.geo import distance_km
from settlement.domain.money import Money
from settlement.domain.transactions import EntryMode, StagedTransaction, TransactionType

# country -> (currency, UTC offset in minutes, units of currency per EUR)
COUNTRIES = {
    "FR": ("EUR", 60, Decimal(1)),
    "DE": ("EUR", 60, Decimal(1)),
    "ES": ("EUR", 60, Decimal(1)),
    "IT": ("EUR", 60, Decimal(1)),
    "NL": ("EUR", 60, Decimal(1)),
    "GB": ("GBP", 0, Decimal("0.86")),
    "CH": ("CHF", 60, Decimal("0.95")),
    "SE": ("SEK", 60, Decimal("11.4")),
    "PL": ("PLN", 60, Decimal("4.3")),
    "US": ("USD", -300, Decimal("1.08")),
    "JP": ("JPY", 540, Decimal("160")),
}
HOMES = ("FR", "DE", "ES", "IT", "NL", "GB", "PL", "US")
EVERYDAY_MCCS = ("5411", "5812", "5541", "5311", "5999", "5732", "5912", "4111")
BUSINESS_DATE = date(2026, 11, 27)


def to_eur(amount: Money) -> Money | None:
    """Test FX: EUR per unit from the table above; None for anything else (AED, KWD...)."""
    for currency, _, per_eur in COUNTRIES.values():
        if currency == amount.currency:
            return amount.convert(1 / per_eur, "EUR")
    return None


@dataclass(frozen=True, slots=True)
class Card:
    token: str
    home: str
    median_eur_minor: int


@dataclass
class Traffic:
    """Seeded plain traffic plus scenario injectors; `fraud` holds the labelled ids."""

    seed: int = 7
    cards_count: int = 300
    rng: random.Random = field(init=False)
    cards: list[Card] = field(init=False)
    fraud: dict[str, str] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.cards = [
            Card(f"card{n:05d}", self.rng.choice(HOMES), self.rng.randint(1500, 6000))
            for n in range(self.cards_count)
        ]

    def purchase(
        self,
        card: Card,
        at: datetime,
        country: str,
        eur_minor: int,
        *,
        mcc: str = "5411",
        mode: EntryMode = EntryMode.CONTACTLESS,
        terminal: str | None = None,
        scenario: str | None = None,
        kind: TransactionType = TransactionType.PURCHASE,
    ) -> StagedTransaction:
        currency, offset_min, per_eur = COUNTRIES[country]
        amount = Money(max(1, eur_minor), "EUR").convert(per_eur, currency)
        terminal = terminal or f"{country}-T{self.rng.randrange(60):03d}-{self.rng.randrange(2)}"
        tx = StagedTransaction(
            transaction_id=f"tx{next(self._ids):07d}",
            transaction_type=kind,
            original_transaction_id=None,
            merchant_id=terminal.rsplit("-", 1)[0],
            terminal_id=terminal,
            card_token=card.token,
            card_bin="411111",
            card_last4=card.token[-4:],
            card_brand="visa",
            card_country=card.home,
            merchant_country=country,
            mcc=mcc,
            entry_mode=mode,
            amount_minor=max(1, amount.amount_minor),
            currency=currency,
            local_time=at + timedelta(minutes=offset_min),
            utc_offset_min=offset_min,
            transacted_at=at,
            business_date=at.date(),
        )
        if scenario:
            self.fraud[tx.transaction_id] = scenario
        return tx

    def _everyday(
        self, card: Card, day: date, country: str, after_h: float = 7
    ) -> list[StagedTransaction]:
        offset_min = COUNTRIES[country][1]
        txs = []
        for _ in range(self.rng.randint(1, 5)):
            local_h = self.rng.uniform(after_h, 22)
            at = datetime.combine(day, datetime.min.time()) + timedelta(
                hours=local_h, minutes=-offset_min
            )
            eur = int(card.median_eur_minor * self.rng.lognormvariate(0, 0.8))
            if self.rng.random() < 0.2:
                shop = self.rng.choice(("US", "GB", "NL", "DE", "JP"))
                txs.append(self.purchase(card, at, shop, eur, mode=EntryMode.ECOMMERCE, mcc="5999"))
            else:
                mcc = self.rng.choice(EVERYDAY_MCCS)
                mode = self.rng.choice((EntryMode.CHIP, EntryMode.CONTACTLESS))
                txs.append(self.purchase(card, at, country, eur, mcc=mcc, mode=mode))
        return txs

    def plain(self, last_day: date = BUSINESS_DATE, days: int = 31) -> list[StagedTransaction]:
        """`days` days of everyday purchases ending on `last_day`; about 10% of cards travel."""
        txs: list[StagedTransaction] = []
        first = last_day - timedelta(days=days - 1)
        for card in self.cards:
            trip = self._trip(card, first, days)
            for n in range(days):
                day = first + timedelta(days=n)
                where = trip.get(day, card.home)
                landed = trip.get(day - timedelta(days=1), card.home) != where
                txs.extend(
                    self._everyday(
                        card, day, where, after_h=self._arrival_h(card, day, trip) if landed else 7
                    )
                )
        return txs

    def _trip(self, card: Card, first: date, days: int) -> dict[date, str]:
        if self.rng.random() > 0.1:
            return {}
        away = self.rng.choice([c for c in COUNTRIES if c != card.home])
        start = self.rng.randrange(days)
        return {first + timedelta(days=start + n): away for n in range(self.rng.randint(2, 7))}

    def _arrival_h(self, card: Card, day: date, trip: dict[date, str]) -> float:
        """Local hour after which a traveller can pay on arrival: flight plus airport time."""
        there = trip.get(day, card.home)
        before = trip.get(day - timedelta(days=1), card.home)
        flight_h = (distance_km(before, there) or 0) / 800 + 3
        return min(21.5, 7 + flight_h + (COUNTRIES[there][1] - COUNTRIES[before][1]) / 60)


def screen_all(
    transactions: Sequence[StagedTransaction],
    rulebook: Rulebook,
    business_date: date = BUSINESS_DATE,
) -> list[FraudFlag]:
    """Group as the EOD run streams them: per card, then per terminal, oldest first."""
    by_card: defaultdict[str, list[StagedTransaction]] = defaultdict(list)
    by_terminal: defaultdict[str, list[StagedTransaction]] = defaultdict(list)
    for tx in sorted(transactions, key=lambda tx: tx.transacted_at):
        by_card[tx.card_token].append(tx)
        by_terminal[tx.terminal_id].append(tx)
    flags: list[FraudFlag] = []
    for card_txs in by_card.values():
        flags.extend(screen_card(card_txs, business_date, rulebook, to_eur))
    for terminal_txs in by_terminal.values():
        flags.extend(screen_terminal(terminal_txs, business_date, rulebook))
    return flags
