"""What a rule sees: one card's (or one terminal's) purchases in time order, plus "today".

Why purchases only: refunds and reversals give money back to the cardholder, so holding
them never protects anyone, and counting them would let a merchant's refund run trip the
velocity rules. They are not screened and do not count towards any window. The EUR amounts
are computed once per card and shared by every amount rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from settlement.domain.fraud.eur import RateTableToEur
from settlement.domain.money import Money
from settlement.domain.transactions import StagedTransaction, TransactionType

ToEur = Callable[[Money], Money | None]


@dataclass(frozen=True, slots=True)
class CardActivity:
    """One card's purchases, oldest first: look-back history, then the business date.

    The parallel lists are computed once per card and shared by every rule; `today[i]` says
    whether purchase i belongs to the business date (only those may be flagged).
    """

    business_date: date
    purchases: Sequence[StagedTransaction]
    times: Sequence[datetime]  # transacted_at, naive UTC
    today: Sequence[bool]
    eur_minor: Sequence[int | None]  # None when no EUR rate exists


@dataclass(frozen=True, slots=True)
class TerminalActivity:
    """One terminal's purchases of the business date (and any look-back), oldest first."""

    business_date: date
    purchases: Sequence[StagedTransaction]
    times: Sequence[datetime]
    today: Sequence[bool]


def purchases_of(transactions: Sequence[StagedTransaction]) -> list[StagedTransaction]:
    purchase = TransactionType.PURCHASE
    return [tx for tx in transactions if tx.transaction_type is purchase]


def card_activity(
    transactions: Sequence[StagedTransaction], business_date: date, to_eur: ToEur
) -> CardActivity:
    """One pass. EUR skips the converter; a `RateTableToEur` is used without building `Money`."""
    purchases = purchases_of(transactions)
    times: list[datetime] = []
    today: list[bool] = []
    eur_minor: list[int | None] = []
    fast = to_eur.eur_minor if isinstance(to_eur, RateTableToEur) else None
    for tx in purchases:
        times.append(tx.transacted_at)
        today.append(tx.business_date == business_date)
        if tx.currency == "EUR":
            eur_minor.append(tx.amount_minor)
        elif fast is not None:
            eur_minor.append(fast(tx.amount_minor, tx.currency))
        else:
            converted = to_eur(tx.amount)
            eur_minor.append(None if converted is None else converted.amount_minor)
    return CardActivity(business_date, purchases, times, today, eur_minor)


def terminal_activity(
    transactions: Sequence[StagedTransaction], business_date: date
) -> TerminalActivity:
    purchases = purchases_of(transactions)
    times = [tx.transacted_at for tx in purchases]
    today = [tx.business_date == business_date for tx in purchases]
    return TerminalActivity(business_date, purchases, times, today)


def eur_text(amount_minor: int) -> str:
    return Money(amount_minor, "EUR").format()
