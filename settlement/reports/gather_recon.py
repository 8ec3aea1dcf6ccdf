"""Reconciliation and fraud aggregates of one business date, for the report.

Exceptions are the open items that stop money: staged rows classed as exceptions and journal
lines never staged (`not_staged`); held items are matched but kept from settlement (fraud
review or decline, no rate, unknown merchant). Both keep their reason and age.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from settlement.adapters.eod_tables import (
    fraud_decisions,
    fraud_flags,
    journal_entries,
    reconciliation_items,
    reconciliation_totals,
)
from settlement.reports.model import (
    DETAIL_ROWS,
    HELD_ROWS,
    ClassCount,
    Fraud,
    Listing,
    OpenItem,
    Reconciliation,
    RuleFlags,
    TerminalDifference,
)

ri = reconciliation_items
EXCEPTION_OUTCOMES = ("exception", "not_staged")
FRAUD_HOLDS = ("fraud_review", "fraud_decline")


def exception_filter(day: date) -> ColumnElement[bool]:
    return and_(ri.c.run_date == day, ri.c.outcome.in_(EXCEPTION_OUTCOMES))


def held_filter(day: date) -> ColumnElement[bool]:
    return and_(ri.c.run_date == day, ri.c.outcome == "held")


def gather_recon(conn: Connection, day: date) -> Reconciliation:
    classes = select(ri.c.recon_class, ri.c.outcome, func.count()).where(ri.c.run_date == day)
    journal = select(func.count()).where(journal_entries.c.business_date == day)
    held_reasons = (
        select(ri.c.reason, func.count())
        .where(held_filter(day))
        .group_by(ri.c.reason)
        .order_by(ri.c.reason)
    )
    return Reconciliation(
        classes=tuple(
            ClassCount(str(c), str(o), int(n))
            for c, o, n in conn.execute(classes.group_by(ri.c.recon_class, ri.c.outcome))
        ),
        journal_count=int(conn.execute(journal).scalar_one()),
        terminals=_terminal_count(conn, day),
        differences=_differences(conn, day),
        exceptions=_listing(conn, exception_filter(day), ri.c.recon_class),
        held=_held(conn, day),
        held_by_reason={str(r): int(n) for r, n in conn.execute(held_reasons)},
    )


def _terminal_count(conn: Connection, day: date) -> int:
    rt = reconciliation_totals
    query = select(func.count(func.distinct(rt.c.key))).where(
        rt.c.run_date == day, rt.c.level == "terminal"
    )
    return int(conn.execute(query).scalar_one())


def _differences(conn: Connection, day: date) -> tuple[TerminalDifference, ...]:
    rt = reconciliation_totals
    query = (
        select(rt.c.key, rt.c.currency, rt.c.journal_minor, rt.c.staged_minor,
               rt.c.difference_minor)
        .where(rt.c.run_date == day, rt.c.level == "terminal", rt.c.difference_minor != 0)
        .order_by(rt.c.key, rt.c.currency)
    )  # fmt: skip
    return tuple(
        TerminalDifference(str(k), str(c), int(j), int(s), int(d))
        for k, c, j, s, d in conn.execute(query)
    )


def open_item(row: Any, detail: str = "") -> OpenItem:
    return OpenItem(
        row.transaction_id, row.recon_class, row.outcome, row.reason or row.recon_class,
        row.business_date, int(row.age_business_days), row.merchant_id, row.terminal_id,
        row.transaction_type, row.currency, row.staged_amount_minor, row.journal_amount_minor,
        detail,
    )  # fmt: skip


def _listing(conn: Connection, where: ColumnElement[bool], first: Any) -> Listing:
    total = int(conn.execute(select(func.count()).select_from(ri).where(where)).scalar_one())
    query = select(ri).where(where).order_by(first, ri.c.transaction_id).limit(DETAIL_ROWS)
    return Listing(tuple(open_item(row) for row in conn.execute(query)), total)


def _held(conn: Connection, day: date) -> Listing:
    """Held items with the rules that held them (fraud) beside their reason."""
    fd = fraud_decisions
    where = held_filter(day)
    total = int(conn.execute(select(func.count()).select_from(ri).where(where)).scalar_one())
    query = (
        select(ri, fd.c.reasons.label("rules"), fd.c.score.label("fraud_score"))
        .select_from(ri.outerjoin(
            fd, and_(fd.c.run_date == ri.c.run_date, fd.c.transaction_id == ri.c.transaction_id)
        ))
        .where(where)
        .order_by(ri.c.reason, ri.c.transaction_id)
        .limit(HELD_ROWS)
    )  # fmt: skip
    rows = tuple(
        open_item(row, f"{row.rules.replace(',', ', ')} (score {row.fraud_score})" if row.rules
                  else "")
        for row in conn.execute(query)
    )  # fmt: skip
    return Listing(rows, total)


def gather_fraud(conn: Connection, day: date, scorecard: dict[str, Any] | None) -> Fraud:
    ff, fd = fraud_flags, fraud_decisions
    held = func.sum(case((ri.c.reason.in_(FRAUD_HOLDS), 1), else_=0))
    rules = (
        select(ff.c.rule, func.count(), held)
        .select_from(ff.outerjoin(
            ri, and_(ri.c.run_date == ff.c.run_date, ri.c.transaction_id == ff.c.transaction_id)
        ))
        .where(ff.c.run_date == day)
        .group_by(ff.c.rule)
        .order_by(ff.c.rule)
    )  # fmt: skip
    by_rule = tuple(RuleFlags(str(r), int(n), int(h or 0)) for r, n, h in conn.execute(rules))
    actions = select(fd.c.action, func.count()).where(fd.c.run_date == day).group_by(fd.c.action)
    by_action = {str(a): int(n) for a, n in conn.execute(actions.order_by(fd.c.action))}
    return Fraud(
        rules=by_rule,
        flags=sum(rule.flags for rule in by_rule),
        flagged_transactions=sum(by_action.values()),
        actions=by_action,
        scorecard=scorecard,
    )
