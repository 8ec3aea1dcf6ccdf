"""The settlement contract: price each settled transaction, then net per merchant and currency.

- purchase: converted = round_half_even(amount * rate) in the settlement currency's minor
  unit; fee = round_half_even(converted * mdr_bps / 10000) + fee_fixed; a cross-currency
  purchase also carries an FX markup = round_half_even(converted * fx_markup_bps / 10000),
  booked as its own line, never folded into the rate;
- refund: converted the same way; no fee or markup is charged or returned;
- reversed purchases and their reversals never reach this module;
- payout = purchases - refunds - fees - fx markup; a negative payout is a merchant debit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from settlement.domain.fx import CrossRate, convert
from settlement.domain.money import Money
from settlement.domain.transactions import TransactionType


@dataclass(frozen=True, slots=True)
class MerchantTerms:
    merchant_id: str
    settlement_currency: str
    mdr_bps: int
    fee_fixed_minor: int


@dataclass(frozen=True, slots=True)
class SettlementLine:
    transaction_id: str
    merchant_id: str
    transaction_type: TransactionType
    original: Money
    converted: Money
    fee: Money
    fx_markup: Money
    rate: CrossRate

    @property
    def net(self) -> Money:
        """What this line adds to the merchant's payout (negative for a refund)."""
        if self.transaction_type is TransactionType.REFUND:
            return -self.converted
        return self.converted - self.fee - self.fx_markup


def price_line(
    transaction_id: str,
    transaction_type: TransactionType,
    amount: Money,
    *,
    terms: MerchantTerms,
    rate: CrossRate,
    fx_markup_bps: int,
) -> SettlementLine:
    """One settlement line under the contract above; reversals are refused (they settle nothing)."""
    if transaction_type is TransactionType.REVERSAL:
        raise ValueError(f"{transaction_id}: a reversal never settles")
    if rate.to_currency != terms.settlement_currency:
        raise ValueError(f"{transaction_id}: rate targets {rate.to_currency}")
    converted = convert(amount, rate).converted
    zero = Money.zero(terms.settlement_currency)
    fee, markup = zero, zero
    if transaction_type is TransactionType.PURCHASE:
        fee = converted.basis_points(terms.mdr_bps) + Money(
            terms.fee_fixed_minor, converted.currency
        )
        if amount.currency != terms.settlement_currency:
            markup = converted.basis_points(fx_markup_bps)
    return SettlementLine(
        transaction_id, terms.merchant_id, transaction_type, amount, converted, fee, markup, rate
    )


@dataclass(frozen=True, slots=True)
class Payout:
    """One payout-file line: a merchant's net for one settlement currency and business date."""

    merchant_id: str
    currency: str
    purchases_minor: int = 0
    refunds_minor: int = 0
    fees_minor: int = 0
    fx_markup_minor: int = 0
    line_count: int = 0

    @property
    def payout_minor(self) -> int:
        return self.purchases_minor - self.refunds_minor - self.fees_minor - self.fx_markup_minor

    @property
    def is_debit(self) -> bool:
        """A negative payout is carried as a debit owed by the merchant, never dropped."""
        return self.payout_minor < 0

    def add(self, line: SettlementLine) -> Payout:
        is_refund = line.transaction_type is TransactionType.REFUND
        amount = line.converted.amount_minor
        return Payout(
            self.merchant_id,
            self.currency,
            self.purchases_minor + (0 if is_refund else amount),
            self.refunds_minor + (amount if is_refund else 0),
            self.fees_minor + line.fee.amount_minor,
            self.fx_markup_minor + line.fx_markup.amount_minor,
            self.line_count + 1,
        )


def net(lines: Iterable[SettlementLine]) -> dict[tuple[str, str], Payout]:
    """Payouts keyed by (merchant_id, settlement currency)."""
    payouts: dict[tuple[str, str], Payout] = {}
    for line in lines:
        key = (line.merchant_id, line.converted.currency)
        payouts[key] = payouts.get(key, Payout(*key)).add(line)
    return payouts
