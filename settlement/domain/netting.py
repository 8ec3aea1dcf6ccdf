"""The settlement contract: price each settled transaction, then net per merchant and currency.

- purchase: converted = round_half_even(amount * rate) in the settlement currency's minor
  unit; fee = round_half_even(converted * mdr_bps / 10000) + fee_fixed; a cross-currency
  purchase also carries an FX markup = round_half_even(converted * fx_markup_bps / 10000),
  booked as its own line, never folded into the rate;
- refund: converted the same way; no fee or markup is charged or returned;
- reversed purchases and their reversals never reach this module;
- payout = purchases - refunds - fees - fx markup; a negative payout is a merchant debit;
- a merchant debit is carried: the payout takes in the debit its merchant's previous payout
  in the currency passed on (`carried_in`); when payout - carried_in is still negative,
  nothing is paid and the rest is passed on to the next payout (`CARRIED_OUT_MINOR`), else
  the amount due is payout - carried_in (`DUE_MINOR`, never negative).

The formulas below (`CONVERTED_MINOR`, `FEE_MINOR`, `FX_MARKUP_MINOR`, `LINE_SHARES`,
`PAYOUT_MINOR`, `IS_DEBIT`, `CARRIED_OUT_MINOR`, `DUE_MINOR`) are the one definition:
`price_line` and `Payout` evaluate them, and the end-of-day SQL
(`eod_sql.insert_settlement_lines`, `insert_payouts`, `carry_debits`) is rendered from them,
so changing a fee here changes both; a test holds the rendered SQL to `evaluate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from settlement.domain.currencies import minor_unit_exponent
from settlement.domain.formula import (
    Add,
    Both,
    Column,
    Const,
    Differs,
    Expr,
    HalfEvenDiv,
    Inputs,
    Is,
    Mul,
    Negative,
    Sub,
    When,
    evaluate,
    holds,
)
from settlement.domain.fx import CrossRate, minor_unit_fraction
from settlement.domain.money import Money
from settlement.domain.transactions import TransactionType

BASIS_POINTS_PER_UNIT = 10_000

# The inputs of a settlement line, by name (the SQL renderer maps each to a column).
AMOUNT_MINOR = Column("amount_minor")  # in the transaction's currency
RATE_NUMERATOR = Column("rate_numerator")  # the rate in minor units, `fx.minor_unit_fraction`
RATE_DENOMINATOR = Column("rate_denominator")
CONVERTED = Column("converted_minor")  # CONVERTED_MINOR, once computed
MDR_BPS = Column("mdr_bps")
FEE_FIXED_MINOR = Column("fee_fixed_minor")
FX_MARKUP_BPS = Column("fx_markup_bps")
TRANSACTION_TYPE = Column("transaction_type")
CURRENCY = Column("currency")
SETTLEMENT_CURRENCY = Column("settlement_currency")
IS_PURCHASE = Is(TRANSACTION_TYPE, TransactionType.PURCHASE)
IS_REFUND = Is(TRANSACTION_TYPE, TransactionType.REFUND)


def _basis_points(amount: Expr, bps: Expr) -> Expr:
    return HalfEvenDiv(Mul(amount, bps), Const(BASIS_POINTS_PER_UNIT))


# Converted at the rate's exact minor-unit fraction, rounded once.
CONVERTED_MINOR: Expr = HalfEvenDiv(Mul(AMOUNT_MINOR, RATE_NUMERATOR), RATE_DENOMINATOR)
# MDR plus the fixed fee, on purchases only.
FEE_MINOR: Expr = When(
    IS_PURCHASE, Add(_basis_points(CONVERTED, MDR_BPS), FEE_FIXED_MINOR), Const(0)
)
# The FX markup on cross-currency purchases, its own line, never inside the rate.
FX_MARKUP_MINOR: Expr = When(
    Both(IS_PURCHASE, Differs(CURRENCY, SETTLEMENT_CURRENCY)),
    _basis_points(CONVERTED, FX_MARKUP_BPS),
    Const(0),
)

# A priced line's own fee and markup (FEE_MINOR, FX_MARKUP_MINOR once computed).
LINE_FEE_MINOR = Column("fee_minor")
LINE_FX_MARKUP_MINOR = Column("fx_markup_minor")
# A payout's totals, each the sum of one share of every line of the merchant and currency.
PURCHASES_MINOR = Column("purchases_minor")
REFUNDS_MINOR = Column("refunds_minor")
FEES_MINOR = Column("fees_minor")
FX_MARKUPS_MINOR = Column("fx_markup_minor")
LINE_SHARES: dict[str, Expr] = {
    PURCHASES_MINOR.name: When(IS_PURCHASE, CONVERTED, Const(0)),
    REFUNDS_MINOR.name: When(IS_REFUND, CONVERTED, Const(0)),
    FEES_MINOR.name: LINE_FEE_MINOR,
    FX_MARKUPS_MINOR.name: LINE_FX_MARKUP_MINOR,
}
PAYOUT_MINOR: Expr = Sub(Sub(Sub(PURCHASES_MINOR, REFUNDS_MINOR), FEES_MINOR), FX_MARKUPS_MINOR)
IS_DEBIT = Negative(PAYOUT_MINOR)  # a negative payout is a debit owed by the merchant
# The carry of merchant debits: taken in from the merchant's previous payout in the
# currency, passed on when the payout does not cover it.
PAYOUT = Column("payout_minor")  # PAYOUT_MINOR, once computed
CARRIED_IN = Column("carried_in_minor")
CARRIED_OUT = Column("carried_out_minor")  # CARRIED_OUT_MINOR, once computed
_AFTER_CARRY = Sub(PAYOUT, CARRIED_IN)
CARRIED_OUT_MINOR: Expr = When(Negative(_AFTER_CARRY), Sub(CARRIED_IN, PAYOUT), Const(0))
DUE_MINOR: Expr = Add(_AFTER_CARRY, CARRIED_OUT)


class PayoutDirection(StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"


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
    def shares(self) -> dict[str, int]:
        """What this line adds to each payout total (`LINE_SHARES`)."""
        inputs = {
            TRANSACTION_TYPE.name: self.transaction_type.value,
            CONVERTED.name: self.converted.amount_minor,
            LINE_FEE_MINOR.name: self.fee.amount_minor,
            LINE_FX_MARKUP_MINOR.name: self.fx_markup.amount_minor,
        }
        return {total: evaluate(share, inputs) for total, share in LINE_SHARES.items()}

    @property
    def net(self) -> Money:
        """What this line adds to the merchant's payout (negative for a refund)."""
        return Money(evaluate(PAYOUT_MINOR, self.shares), self.converted.currency)


def _line_inputs(
    transaction_type: TransactionType,
    amount: Money,
    terms: MerchantTerms,
    rate: CrossRate,
    fx_markup_bps: int,
) -> dict[str, int | str]:
    exact = minor_unit_fraction(
        rate, minor_unit_exponent(amount.currency), minor_unit_exponent(rate.to_currency)
    )
    inputs: dict[str, int | str] = {
        AMOUNT_MINOR.name: amount.amount_minor,
        RATE_NUMERATOR.name: exact.numerator,
        RATE_DENOMINATOR.name: exact.denominator,
        MDR_BPS.name: terms.mdr_bps,
        FEE_FIXED_MINOR.name: terms.fee_fixed_minor,
        FX_MARKUP_BPS.name: fx_markup_bps,
        TRANSACTION_TYPE.name: transaction_type.value,
        CURRENCY.name: amount.currency,
        SETTLEMENT_CURRENCY.name: terms.settlement_currency,
    }
    inputs[CONVERTED.name] = evaluate(CONVERTED_MINOR, inputs)
    return inputs


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
    if amount.currency != rate.from_currency:
        raise ValueError(f"rate is for {rate.from_currency}, amount is {amount.currency}")
    inputs = _line_inputs(transaction_type, amount, terms, rate, fx_markup_bps)

    def settled(formula: Expr) -> Money:
        return Money(evaluate(formula, inputs), terms.settlement_currency)

    return SettlementLine(
        transaction_id,
        terms.merchant_id,
        transaction_type,
        amount,
        settled(CONVERTED_MINOR),
        settled(FEE_MINOR),
        settled(FX_MARKUP_MINOR),
        rate,
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
    carried_in_minor: int = 0  # the debit the merchant's previous payout passed on
    carried_out_minor: int = 0  # the debit this one passes on (CARRIED_OUT_MINOR)

    @property
    def _totals(self) -> Inputs:
        return {total: getattr(self, total) for total in LINE_SHARES}

    @property
    def payout_minor(self) -> int:
        return evaluate(PAYOUT_MINOR, self._totals)

    @property
    def is_debit(self) -> bool:
        """A negative payout is carried as a debit owed by the merchant, never dropped."""
        return holds(IS_DEBIT, self._totals)

    @property
    def direction(self) -> PayoutDirection:
        return PayoutDirection.DEBIT if self.is_debit else PayoutDirection.CREDIT

    @property
    def due_minor(self) -> int:
        """What the merchant is paid after the carry (`DUE_MINOR`)."""
        return due_minor(self.payout_minor, self.carried_in_minor, self.carried_out_minor)

    def carry(self, carried_in_minor: int) -> Payout:
        """This payout taking in the debit its merchant's previous payout passed on."""
        return replace(
            self,
            carried_in_minor=carried_in_minor,
            carried_out_minor=carried_out_minor(self.payout_minor, carried_in_minor),
        )

    def add(self, line: SettlementLine) -> Payout:
        shares = line.shares
        return Payout(
            self.merchant_id,
            self.currency,
            self.purchases_minor + shares[PURCHASES_MINOR.name],
            self.refunds_minor + shares[REFUNDS_MINOR.name],
            self.fees_minor + shares[FEES_MINOR.name],
            self.fx_markup_minor + shares[FX_MARKUPS_MINOR.name],
            self.line_count + 1,
        )


def carried_out_minor(payout_minor: int, carried_in_minor: int) -> int:
    """The debit a payout passes on (`CARRIED_OUT_MINOR`)."""
    inputs = {PAYOUT.name: payout_minor, CARRIED_IN.name: carried_in_minor}
    return evaluate(CARRIED_OUT_MINOR, inputs)


def due_minor(payout_minor: int, carried_in_minor: int, carried_out_minor: int) -> int:
    """What the merchant is paid after the carry (`DUE_MINOR`, >= 0)."""
    inputs = {
        PAYOUT.name: payout_minor,
        CARRIED_IN.name: carried_in_minor,
        CARRIED_OUT.name: carried_out_minor,
    }
    return evaluate(DUE_MINOR, inputs)


def net(lines: Iterable[SettlementLine]) -> dict[tuple[str, str], Payout]:
    """Payouts keyed by (merchant_id, settlement currency)."""
    payouts: dict[tuple[str, str], Payout] = {}
    for line in lines:
        key = (line.merchant_id, line.converted.currency)
        payouts[key] = payouts.get(key, Payout(*key)).add(line)
    return payouts


def carry_debits(
    payouts: Mapping[tuple[str, str], Payout], passed_on: Mapping[tuple[str, str], int]
) -> dict[tuple[str, str], Payout]:
    """Each payout taking in what its merchant's previous payout in the currency passed on
    (`passed_on`, by (merchant_id, currency); absent: nothing). A debit passed on by a
    merchant without a payout today waits for its next one."""
    return {key: payout.carry(passed_on.get(key, 0)) for key, payout in payouts.items()}
