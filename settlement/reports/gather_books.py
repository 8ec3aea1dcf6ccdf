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

from sqlalchemy import Connection, and_, func, select

from settlement.adapters import books, eod_sql
from settlement.adapters.eod_tables import fx_conversions, ledger_entries, payouts, settlement_lines
from settlement.adapters.tables import merchants
from settlement.domain.ledger import (
    REFUNDS_CHECK,
    REVERSALS_CHECK,
    Conservation,
    Finding,
    check_conservation,
    check_payout_identity,
    check_refunds_within_original,
    check_reversals_equal_original,
    payout_identities,
)
from settlement.domain.money import Money
from settlement.reports.model import (
    BalanceRow,
    Books,
    Check,
    CurrencyVolume,
    FxPair,
    PayoutRow,
    PayoutTotal,
)

sl, po, fx, le = settlement_lines, payouts, fx_conversions, ledger_entries


def gather_books(conn: Connection, day: date) -> Books:
    rows = _payouts(conn, day)
    lines = select(func.count()).select_from(sl).where(sl.c.run_date == day)
    return Books(
        payouts=rows,
        payout_totals=_payout_totals(rows),
        fx=_fx(conn, day),
        trial_balance=_trial_balance(conn, day),
        settlement_lines=int(conn.execute(lines).scalar_one()),
    )


def _payouts(conn: Connection, day: date) -> tuple[PayoutRow, ...]:
    query = (
        select(po, func.coalesce(merchants.c.name, "").label("name"))
        .select_from(po.outerjoin(merchants, merchants.c.merchant_id == po.c.merchant_id))
        .where(po.c.run_date == day)
        .order_by(po.c.currency, po.c.payout_minor.desc(), po.c.merchant_id)
    )
    return tuple(
        PayoutRow(
            r.merchant_id, r.name, r.currency, int(r.purchases_minor), int(r.refunds_minor),
            int(r.fees_minor), int(r.fx_markup_minor), int(r.payout_minor), r.direction,
            int(r.line_count),
        )
        for r in conn.execute(query)
    )  # fmt: skip


def _payout_totals(rows: Iterable[PayoutRow]) -> tuple[PayoutTotal, ...]:
    by_currency: dict[str, list[PayoutRow]] = defaultdict(list)
    for row in rows:
        by_currency[row.currency].append(row)
    return tuple(
        PayoutTotal(
            currency,
            merchants=len({r.merchant_id for r in group}),
            purchases_minor=sum(r.purchases_minor for r in group),
            refunds_minor=sum(r.refunds_minor for r in group),
            fees_minor=sum(r.fees_minor for r in group),
            fx_markup_minor=sum(r.fx_markup_minor for r in group),
            payout_minor=sum(r.payout_minor for r in group),
            merchant_debits=sum(r.direction == "debit" for r in group),
            line_count=sum(r.line_count for r in group),
        )
        for currency, group in sorted(by_currency.items())
    )


def _fx(conn: Connection, day: date) -> tuple[FxPair, ...]:
    """Every rate of the run with what went through it and the rounding residue."""
    lines = (
        select(sl.c.original_currency.label("src"), sl.c.settlement_currency.label("dst"),
               func.count().label("n"), func.sum(sl.c.original_amount_minor).label("orig"),
               func.sum(sl.c.converted_amount_minor).label("conv"))
        .where(sl.c.run_date == day)
        .group_by(sl.c.original_currency, sl.c.settlement_currency)
        .subquery()
    )  # fmt: skip
    query = (
        select(fx, lines.c.n, lines.c.orig, lines.c.conv)
        .select_from(fx.outerjoin(
            lines, and_(lines.c.src == fx.c.from_currency, lines.c.dst == fx.c.to_currency)
        ))
        .where(fx.c.run_date == day)
        .order_by(fx.c.from_currency, fx.c.to_currency)
    )  # fmt: skip
    pairs = []
    for r in conn.execute(query):
        original, converted = int(r.orig or 0), int(r.conv or 0)
        exact = Fraction(original * int(r.minor_numerator), int(r.minor_denominator))
        pairs.append(
            FxPair(r.from_currency, r.to_currency, r.rate, r.rate_date, r.source, int(r.n or 0),
                   original, converted, converted - exact)
        )  # fmt: skip
    return tuple(pairs)


def _trial_balance(conn: Connection, day: date) -> tuple[BalanceRow, ...]:
    query = (
        select(le.c.currency, le.c.account, func.sum(le.c.debit_minor), func.sum(le.c.credit_minor))
        .where(le.c.run_date == day)
        .group_by(le.c.currency, le.c.account)
        .order_by(le.c.currency, le.c.account)
    )
    return tuple(BalanceRow(str(c), str(a), int(d), int(k)) for c, a, d, k in conn.execute(query))


def gather_checks(
    conn: Connection, day: date, volumes: Iterable[CurrencyVolume]
) -> tuple[Check, ...]:
    """Ledger balance, conservation and payout identity, one check per currency."""
    balance: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in _trial_balance(conn, day):
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
    identity = payout_identities(books.settled_flows(conn, day), books.paid_out(conn, day))
    paid = {
        c: f"purchases - refunds {_m(t.lines_net_minor, c)} = payouts + fees + FX markup"
        for c, t in identity.items()
    }
    checks += _as_checks("payout_identity", paid, check_payout_identity(identity))
    return tuple(checks) + _original_checks(conn, day, sorted(conservation))


def _original_checks(conn: Connection, day: date, currencies: list[str]) -> tuple[Check, ...]:
    """Refunds within their purchase and voids equal to it, judged as the run judged them."""
    refunds = check_refunds_within_original(eod_sql.settled_refunds(conn, day))
    voids = check_reversals_equal_original(*eod_sql.voids(conn, day))
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
