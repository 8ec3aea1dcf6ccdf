"""Double-entry postings of an end-of-day run, and the invariants checked before it commits.

Accounts, per currency:
- scheme_receivable: what the card schemes owe us for the day's staged transactions;
- fx_clearing: the bridge between a transaction currency and a settlement currency
  (every settled line passes through it, so it nets to zero per conversion);
- merchant_payable: what we owe merchants (a debit balance is a merchant debit);
- merchant_receivable: merchant debits carried to the merchants' next payouts (moved out of
  merchant_payable when a payout passes one on, back when a later payout takes it in);
- fee_income / fx_income: MDR + fixed fees, FX markup;
- held_suspense: settled-to-be but held (fraud review/decline, no_rate, unknown merchant);
- exceptions_suspense: reconciliation exceptions (late, mismatch, unexpected, orphan...).

Checks return `Finding`s as data; the run aborts when there is any. Beside the books'
balance, conservation and the payout identity, the settled refunds and voided purchases are
judged again by the rules of `settlement.domain.originals`, from the settlement lines and
staged rows rather than from the classification that let them through.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from settlement.domain.money import Money
from settlement.domain.originals import (
    TransactionFacts,
    refund_mismatch,
    refundable_minor,
    reversal_equals,
)
from settlement.domain.recon_classes import ReconClass
from settlement.domain.transactions import TransactionType


class Account(StrEnum):
    SCHEME_RECEIVABLE = "scheme_receivable"
    FX_CLEARING = "fx_clearing"
    MERCHANT_PAYABLE = "merchant_payable"
    MERCHANT_RECEIVABLE = "merchant_receivable"
    FEE_INCOME = "fee_income"
    FX_INCOME = "fx_income"
    HELD_SUSPENSE = "held_suspense"
    EXCEPTIONS_SUSPENSE = "exceptions_suspense"


@dataclass(frozen=True, slots=True)
class Posting:
    account: Account
    currency: str
    debit_minor: int
    credit_minor: int
    memo: str


@dataclass(frozen=True, slots=True)
class SettledFlow:
    """Sums over settlement lines sharing a type and a currency pair."""

    transaction_type: TransactionType
    original_currency: str
    settlement_currency: str
    original_minor: int
    converted_minor: int
    fee_minor: int
    fx_markup_minor: int


@dataclass(frozen=True, slots=True)
class SuspenseFlow:
    """Sums of staged amounts parked in suspense: `held` or `exception`."""

    outcome: str
    transaction_type: TransactionType
    currency: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class CarriedFlow:
    """Merchant debits of one settlement currency the day's payouts took in from earlier
    payouts and passed on to later ones."""

    currency: str
    carried_in_minor: int
    carried_out_minor: int


class Finding(NamedTuple):
    check: str
    currency: str
    detail: str


def _pair(debit: Account, credit: Account, currency: str, amount: int, memo: str) -> list[Posting]:
    return [Posting(debit, currency, amount, 0, memo), Posting(credit, currency, 0, amount, memo)]


def _settled_postings(flow: SettledFlow) -> list[Posting]:
    src, dst = flow.original_currency, flow.settlement_currency
    memo = f"{flow.transaction_type} {src}->{dst}"
    if flow.transaction_type is TransactionType.REFUND:
        return [
            *_pair(Account.MERCHANT_PAYABLE, Account.FX_CLEARING, dst, flow.converted_minor, memo),
            *_pair(Account.FX_CLEARING, Account.SCHEME_RECEIVABLE, src, flow.original_minor, memo),
        ]
    to_merchant = flow.converted_minor - flow.fee_minor - flow.fx_markup_minor
    return [
        *_pair(Account.SCHEME_RECEIVABLE, Account.FX_CLEARING, src, flow.original_minor, memo),
        Posting(Account.FX_CLEARING, dst, flow.converted_minor, 0, memo),
        Posting(Account.MERCHANT_PAYABLE, dst, 0, to_merchant, memo),
        Posting(Account.FEE_INCOME, dst, 0, flow.fee_minor, memo),
        Posting(Account.FX_INCOME, dst, 0, flow.fx_markup_minor, memo),
    ]


def _suspense_postings(flow: SuspenseFlow) -> list[Posting]:
    suspense = Account.HELD_SUSPENSE if flow.outcome == "held" else Account.EXCEPTIONS_SUSPENSE
    memo = f"{flow.outcome} {flow.transaction_type}"
    if flow.transaction_type is TransactionType.PURCHASE:
        return _pair(Account.SCHEME_RECEIVABLE, suspense, flow.currency, flow.amount_minor, memo)
    return _pair(suspense, Account.SCHEME_RECEIVABLE, flow.currency, flow.amount_minor, memo)


def _carried_postings(flow: CarriedFlow) -> list[Posting]:
    payable, receivable, currency = (
        Account.MERCHANT_PAYABLE, Account.MERCHANT_RECEIVABLE, flow.currency,
    )  # fmt: skip
    return [
        *_pair(payable, receivable, currency, flow.carried_in_minor, "debit carried in"),
        *_pair(receivable, payable, currency, flow.carried_out_minor, "debit carried out"),
    ]


def post(
    settled: Iterable[SettledFlow],
    suspense: Iterable[SuspenseFlow],
    carried: Iterable[CarriedFlow] = (),
) -> list[Posting]:
    """The run's postings; zero-amount legs are dropped."""
    postings = [p for flow in settled for p in _settled_postings(flow)]
    postings += [p for flow in suspense for p in _suspense_postings(flow)]
    postings += [p for flow in carried for p in _carried_postings(flow)]
    return [p for p in postings if p.debit_minor or p.credit_minor]


def check_balanced(postings: Iterable[Posting]) -> list[Finding]:
    """Debits equal credits in every currency."""
    debits: dict[str, int] = defaultdict(int)
    credits: dict[str, int] = defaultdict(int)
    for posting in postings:
        debits[posting.currency] += posting.debit_minor
        credits[posting.currency] += posting.credit_minor
    return [
        Finding("balance", currency, f"debits {debits[currency]} != credits {credits[currency]}")
        for currency in sorted(set(debits) | set(credits))
        if debits[currency] != credits[currency]
    ]


@dataclass(frozen=True, slots=True)
class Conservation:
    """Gross minor units of one transaction currency, split by where they went."""

    staged_minor: int = 0
    settled_minor: int = 0
    held_minor: int = 0
    exceptions_minor: int = 0
    reversed_minor: int = 0

    @property
    def accounted_minor(self) -> int:
        return self.settled_minor + self.held_minor + self.exceptions_minor + self.reversed_minor


def check_conservation(totals: Mapping[str, Conservation]) -> list[Finding]:
    """staged = settled + held + exceptions + reversed, per transaction currency (gross)."""
    return [
        Finding(
            "conservation",
            currency,
            f"staged {t.staged_minor} != settled {t.settled_minor} + held {t.held_minor}"
            f" + exceptions {t.exceptions_minor} + reversed {t.reversed_minor}"
            f" = {t.accounted_minor}",
        )
        for currency, t in sorted(totals.items())
        if t.staged_minor != t.accounted_minor
    ]


@dataclass(frozen=True, slots=True)
class PayoutIdentity:
    """Per settlement currency: settled lines (purchases - refunds) and the debits carried
    in and out vs the payout file's amounts due, fees and FX markup."""

    lines_net_minor: int
    payouts_minor: int  # the amounts due, after the carry
    fees_minor: int
    fx_markup_minor: int
    carried_in_minor: int = 0
    carried_out_minor: int = 0

    @property
    def settled_minor(self) -> int:
        """The lines' net less the debits taken in (they reduce what is due), plus those
        passed on (no longer netted against today's payout)."""
        return self.lines_net_minor - self.carried_in_minor + self.carried_out_minor


Paid = tuple[int, int, int, int, int]  # amounts due, fees, fx markup, carried in, carried out


def payout_identities(
    flows: Iterable[SettledFlow], paid: Mapping[str, Paid]
) -> dict[str, PayoutIdentity]:
    """The payout identity's two sides per settlement currency: the lines' purchases minus
    refunds (`flows`), and the payout rows' sums (`paid`: amounts due, fees, fx markup,
    debits carried in and out)."""
    net: dict[str, int] = defaultdict(int)
    for flow in flows:
        signed = flow.converted_minor
        net[flow.settlement_currency] += (
            -signed if flow.transaction_type is TransactionType.REFUND else signed
        )
    currencies = sorted(set(net) | set(paid))
    nothing = (0, 0, 0, 0, 0)
    return {c: PayoutIdentity(net.get(c, 0), *paid.get(c, nothing)) for c in currencies}


def check_payout_identity(totals: Mapping[str, PayoutIdentity]) -> list[Finding]:
    """purchases - refunds (over lines) - debits carried in + debits carried out
    = amounts due + fees + fx markup (over payouts)."""
    found = []
    for currency, t in sorted(totals.items()):
        accounted = t.payouts_minor + t.fees_minor + t.fx_markup_minor
        if t.settled_minor != accounted:
            detail = (
                f"settled {t.lines_net_minor} - carried in {t.carried_in_minor} + carried out"
                f" {t.carried_out_minor} != payouts {t.payouts_minor} + fees {t.fees_minor}"
                f" + fx markup {t.fx_markup_minor} = {accounted}"
            )
            found.append(Finding("payout_identity", currency, detail))
    return found


@dataclass(frozen=True, slots=True)
class CarryLink:
    """A merchant's debit passed on at or before a run's date (by its latest payout there)
    and what the merchant's first payout after that date took in."""

    merchant_id: str
    currency: str
    passed_on_minor: int
    taken_in_minor: int
    taken_on: str  # the later payout's date, ISO


def carries_to_redo(links: Iterable[CarryLink]) -> list[str]:
    """The later dates whose payouts took in a merchant debit other than the one now passed
    on: a re-run of an earlier date changed it. Each debit is taken in once, as passed on,
    only after those dates are re-run in turn (in date order), as the operator does after
    re-running a date whose input changed; until then the run says which."""
    return sorted({link.taken_on for link in links if link.passed_on_minor != link.taken_in_minor})


REFUNDS_CHECK = "refunds_within_original"
REVERSALS_CHECK = "reversal_equals_original"


@dataclass(frozen=True, slots=True)
class SettledRefunds:
    """Refunds one run settled against one original, for one merchant and currency, beside
    that original (None: named nowhere) and what other runs settled against it."""

    first_refund_id: str  # named in a finding
    original_id: str | None
    merchant_id: str
    currency: str
    amount_minor: int
    original: TransactionFacts | None
    voided: bool
    earlier_minor: int


def _refund_detail(group: SettledRefunds, original: TransactionFacts) -> str | None:
    facts = TransactionFacts(
        group.first_refund_id, TransactionType.REFUND, group.merchant_id, "",
        Money(group.amount_minor, group.currency),
    )  # fmt: skip
    why = refund_mismatch(facts, original)
    head = f"{group.first_refund_id} refunds {original.transaction_id}"
    if why is ReconClass.REFUND_NOT_OF_PURCHASE:
        return f"{head}, a {original.transaction_type}"
    if why is ReconClass.REFUND_MERCHANT_MISMATCH:
        return f"{head} of merchant {original.merchant_id}"
    if why is ReconClass.REFUND_CURRENCY_MISMATCH:
        return f"{head} in {original.amount.currency}"
    return None


def check_refunds_within_original(groups: Iterable[SettledRefunds]) -> list[Finding]:
    """Every settled refund names a purchase of its merchant and currency, and the refunds
    settled against a purchase over all runs stay within it (nothing once it is voided)."""
    check = REFUNDS_CHECK
    found: list[Finding] = []
    refunded: dict[str, int] = {}
    budgets: dict[str, tuple[int, str]] = {}
    for group in groups:
        original = group.original
        if original is None:
            nowhere = f"{group.first_refund_id} refunds {group.original_id}, named nowhere"
            found.append(Finding(check, group.currency, nowhere))
            continue
        mismatch = _refund_detail(group, original)
        if mismatch is not None:
            found.append(Finding(check, group.currency, mismatch))
        key = original.transaction_id
        refunded[key] = refunded.get(key, group.earlier_minor) + group.amount_minor
        budgets[key] = (refundable_minor(original, group.voided), original.amount.currency)
    for key, (budget, currency) in sorted(budgets.items()):
        if refunded[key] > budget:
            found.append(Finding(check, currency, f"{key} refunded {refunded[key]} of {budget}"))
    return found


@dataclass(frozen=True, slots=True)
class Void:
    """A reversal a run marked `reversed`, the original it names, whether the run marked
    that original `reversed` too, and what refunds of it other runs settled."""

    reversal: TransactionFacts
    original_id: str | None
    original: TransactionFacts | None
    original_voided: bool
    refunded_elsewhere_minor: int = 0


def check_reversals_equal_original(
    voids: Iterable[Void], unvoided: Iterable[tuple[str, str]]
) -> list[Finding]:
    """Each voided purchase was voided by exactly one reversal equal to it. `unvoided` are
    (purchase id, currency) of items marked reversed that no reversal of the run names."""
    check = REVERSALS_CHECK
    found = [Finding(check, currency, f"{pid} voided by no reversal") for pid, currency in unvoided]
    voiders: dict[tuple[str, str], list[str]] = defaultdict(list)
    for void in voids:
        reversal, original = void.reversal, void.original
        currency = reversal.amount.currency
        named = str(void.original_id)
        if original is None or not reversal_equals(reversal, original):
            detail = f"{reversal.transaction_id} does not equal {named}"
            found.append(Finding(check, currency, detail))
        elif not void.original_voided:
            detail = f"{reversal.transaction_id} voids {named}, which stays open"
            found.append(Finding(check, currency, detail))
        elif void.refunded_elsewhere_minor:  # the void returns all of it, the refund again
            detail = f"{reversal.transaction_id} voids {named}, refunded by other runs"
            found.append(Finding(check, currency, detail))
        voiders[(named, currency)].append(reversal.transaction_id)
    for (named, currency), ids in sorted(voiders.items()):
        if len(ids) > 1:
            found.append(Finding(check, currency, f"{named} voided by {', '.join(sorted(ids))}"))
    return found
