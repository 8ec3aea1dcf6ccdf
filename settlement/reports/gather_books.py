"""Payouts, FX, the ledger's trial balance and the run's invariants, read back for the report.

The checks are recomputed from the stored rows with the same pure functions the run used
before it committed (`settlement.domain.ledger`), so the report shows what the tables say
now, not what the run claimed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from fractions import Fraction
from operator import attrgetter
from typing import TYPE_CHECKING

from settlement.domain.fx import rate_age_days
from settlement.domain.ledger import (
    REFUNDS_CHECK,
    REVERSALS_CHECK,
    Conservation,
    Finding,
    SettledFlow,
    check_conservation,
    check_payout_identity,
    check_refunds_within_original,
    check_reversals_equal_original,
    payout_identities,
)
from settlement.domain.money import Money
from settlement.domain.netting import PayoutDirection
from settlement.reports.model import (
    BalanceRow,
    Books,
    Check,
    CurrencyVolume,
    FxMissing,
    FxPair,
    PayoutRow,
    PayoutTotal,
)

if TYPE_CHECKING:
    from settlement.adapters.report_reads.ledger import LedgerReads
    from settlement.reports.tallies import LineTally


FX_MISSING_ROWS = 50  # (currency, detail) groups of no_rate holds the report lists


def gather_books(reads: LedgerReads, day: date, lines: LineTally) -> Books:
    rows = _payouts(reads, day)
    return Books(
        payouts=rows,
        payout_totals=_payout_totals(rows),
        fx=_fx(reads, day, lines),
        fx_missing=tuple(FxMissing(*row) for row in reads.no_rate_holds(day, FX_MISSING_ROWS)),
        trial_balance=_trial_balance(reads, day),
        settlement_lines=reads.settlement_line_count(day),
    )


def _payouts(reads: LedgerReads, day: date) -> tuple[PayoutRow, ...]:
    return tuple(
        PayoutRow(
            p.merchant_id, p.name or "", p.currency, p.purchases_minor, p.refunds_minor,
            p.fees_minor, p.fx_markup_minor, p.payout_minor, p.direction, p.line_count,
            p.carried_in_minor, p.carried_out_minor,
        )
        for p in reads.payouts(day)
    )  # fmt: skip


def _payout_totals(rows: Iterable[PayoutRow]) -> tuple[PayoutTotal, ...]:
    """Per settlement currency. Each column is summed by `sum(map(attrgetter))` in C, not a
    generator a column (a 1M day's 49,000 payouts: ~0.9 -> ~0.1 s under the profiler)."""
    by_currency: dict[str, list[PayoutRow]] = defaultdict(list)
    for row in rows:
        by_currency[row.currency].append(row)
    return tuple(
        PayoutTotal(
            currency,
            merchants=len(set(map(attrgetter("merchant_id"), group))),
            purchases_minor=_column_sum(group, "purchases_minor"),
            refunds_minor=_column_sum(group, "refunds_minor"),
            fees_minor=_column_sum(group, "fees_minor"),
            fx_markup_minor=_column_sum(group, "fx_markup_minor"),
            payout_minor=_column_sum(group, "payout_minor"),
            merchant_debits=list(map(attrgetter("direction"), group)).count(PayoutDirection.DEBIT),
            line_count=_column_sum(group, "line_count"),
            carried_in_minor=_column_sum(group, "carried_in_minor"),
            carried_out_minor=_column_sum(group, "carried_out_minor"),
        )
        for currency, group in sorted(by_currency.items())
    )


def _column_sum(rows: list[PayoutRow], name: str) -> int:
    total: int = sum(map(attrgetter(name), rows))
    return total


def _fx(reads: LedgerReads, day: date, lines: LineTally) -> tuple[FxPair, ...]:
    """Every rate of the run with what went through it (the lines of its currency pair,
    tallied as settlement.csv was written) and the rounding residue."""
    by_pair = lines.by_pair()
    pairs = []
    for rate in reads.fx_rates(day):
        count, original_minor, converted_minor = by_pair.get(
            (rate.from_currency, rate.to_currency), (0, 0, 0)
        )
        residue_minor = converted_minor - Fraction(
            original_minor * rate.minor_numerator, rate.minor_denominator
        )
        pairs.append(FxPair(
            rate.from_currency, rate.to_currency, rate.rate, rate.rate_date, rate.source,
            count, original_minor, converted_minor, residue_minor,
            rate_age_days(rate.rate_date, day),
        ))  # fmt: skip
    return tuple(pairs)


def _trial_balance(reads: LedgerReads, day: date) -> tuple[BalanceRow, ...]:
    return tuple(BalanceRow(*row) for row in reads.trial_balance(day))


def gather_checks(
    reads: LedgerReads,
    day: date,
    volumes: Iterable[CurrencyVolume],
    flows: list[SettledFlow],
) -> tuple[Check, ...]:
    """Ledger balance, conservation and payout identity, one check per currency; `flows`
    are the date's `settled_flows` (read once for the volumes and the identity)."""
    balance: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in _trial_balance(reads, day):
        balance[row.currency][0] += row.debit_minor
        balance[row.currency][1] += row.credit_minor
    checks = [
        Check("ledger_balanced", c, d == k, f"debits {_m(d, c)} {'=' if d == k else '!='} "
              f"credits {_m(k, c)}")
        for c, (d, k) in sorted(balance.items())
    ]  # fmt: skip
    conservation = {
        v.currency: Conservation(v.staged_minor, v.settled_minor, v.held_minor,
                                 v.exceptions_minor, v.reversed_minor)
        for v in volumes
    }  # fmt: skip
    held = {
        c: f"staged {_m(t.staged_minor, c)} = settled + held + exceptions + reversed"
        for c, t in conservation.items()
    }
    checks += _as_checks("conservation", held, check_conservation(conservation))
    identity = payout_identities(flows, reads.paid_out(day))
    paid = {
        c: f"purchases - refunds {_m(t.lines_net_minor, c)} - carried in"
        f" {_m(t.carried_in_minor, c)} + carried out {_m(t.carried_out_minor, c)}"
        " = amounts due + fees + FX markup"
        for c, t in identity.items()
    }
    checks += _as_checks("payout_identity", paid, check_payout_identity(identity))
    return tuple(checks) + _original_checks(reads, day, sorted(conservation))


def _original_checks(reads: LedgerReads, day: date, currencies: list[str]) -> tuple[Check, ...]:
    """Refunds within their purchase and voids equal to it, judged as the run judged them."""
    refunds = check_refunds_within_original(reads.settled_refunds(day))
    voids = check_reversals_equal_original(*reads.voids(day))
    holds = {
        REFUNDS_CHECK: "settled refunds name a purchase of their merchant and currency, within it",
        REVERSALS_CHECK: "each voided purchase voided once, by a reversal equal to it",
    }
    checks = []
    for name, findings in ((REFUNDS_CHECK, refunds), (REVERSALS_CHECK, voids)):
        failed: dict[str, list[str]] = defaultdict(list)
        for finding in findings:
            failed[finding.currency].append(finding.detail)
        for currency in sorted(set(currencies) | set(failed)):
            detail = "; ".join(failed[currency]) if currency in failed else holds[name]
            checks.append(Check(name, currency, currency not in failed, detail))
    return tuple(checks)


def _m(minor: int, currency: str) -> str:
    return Money(minor, currency).format()


def _as_checks(name: str, holds: dict[str, str], findings: list[Finding]) -> list[Check]:
    """One check per currency: the finding's numbers when it failed, else what holds."""
    failed = {finding.currency: finding.detail for finding in findings}
    return [
        Check(name, currency, currency not in failed, failed.get(currency, holds[currency]))
        for currency in sorted(holds)
    ]
