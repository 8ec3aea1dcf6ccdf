"""Ledger postings and the invariants a run must satisfy before it commits.

Conservation, per transaction currency, gross minor units:
    staged (every row in the run's scope) = settled + held + exceptions + reversed
where `settled` is summed over settlement_lines (not over items), so a dropped line shows.
Payout identity, per settlement currency:
    purchases - refunds (over lines) = payouts + fees + fx markup (over the payout rows).
The ledger balances per currency. Refunds and reversals, read again from the lines and the
staged rows: every settled refund names a purchase of its merchant and currency, and a
purchase's settled refunds over all runs stay within it; every voided purchase was voided
by exactly one reversal equal to it (docs/refunds-and-reversals.md). Any finding aborts
the run with the numbers.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import Connection

from settlement.adapters import books, eod_sql
from settlement.adapters.bulk import bulk_insert
from settlement.adapters.eod_tables import ledger_entries
from settlement.domain.ledger import (
    Conservation,
    Finding,
    Posting,
    SettledFlow,
    SuspenseFlow,
    check_balanced,
    check_conservation,
    check_payout_identity,
    check_refunds_within_original,
    check_reversals_equal_original,
    payout_identities,
    post,
)
from settlement.domain.transactions import TransactionType


class InvariantBroken(RuntimeError):
    """A run whose numbers disagree; nothing of it is committed."""

    def __init__(self, findings: list[Finding]) -> None:
        lines = [f"{f.check} [{f.currency}]: {f.detail}" for f in findings]
        super().__init__("end of day aborted, invariant broken: " + "; ".join(lines))
        self.findings = findings


def _postings(conn: Connection, run_date: date, settled: list[SettledFlow]) -> list[Posting]:
    parked = [
        SuspenseFlow(outcome, TransactionType(kind), currency, int(total))
        for outcome, kind, currency, total in eod_sql.rows(
            conn,
            "SELECT outcome, transaction_type, currency, SUM(staged_amount_minor)"
            " FROM reconciliation_items WHERE run_date = :d AND staged_amount_minor IS NOT NULL"
            " AND outcome IN ('held', 'exception') GROUP BY outcome, transaction_type, currency"
            " ORDER BY outcome, transaction_type, currency",  # entry_no follows this order
            d=run_date,
        )
    ]
    return post(settled, parked)


def _conservation(
    conn: Connection, scope: eod_sql.Scope, lines: list[SettledFlow]
) -> dict[str, Conservation]:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    staged = eod_sql.rows(
        conn,
        f"WITH {eod_sql.scope_cte(scope)} SELECT currency, SUM(amount_minor) FROM scope"
        " GROUP BY currency",
        **eod_sql.scope_params(scope),
    )
    for currency, total in staged:
        totals[currency]["staged_minor"] += int(total)
    for flow in lines:
        totals[flow.original_currency]["settled_minor"] += flow.original_minor
    names = {"held": "held_minor", "exception": "exceptions_minor", "reversed": "reversed_minor"}
    for currency, outcome, total in eod_sql.rows(
        conn,
        "SELECT currency, outcome, SUM(staged_amount_minor) FROM reconciliation_items"
        " WHERE run_date = :d AND staged_amount_minor IS NOT NULL AND outcome <> 'settled'"
        " GROUP BY currency, outcome",
        d=scope.run_date,
    ):
        totals[currency][names.get(outcome, "unknown_" + outcome)] += int(total)
    return {currency: Conservation(**values) for currency, values in totals.items()}


def post_and_check(conn: Connection, scope: eod_sql.Scope) -> dict[str, dict[str, int]]:
    """Write the ledger, then check every invariant; raises InvariantBroken on any finding."""
    lines = books.settled_flows(conn, scope.run_date)
    postings = _postings(conn, scope.run_date, lines)
    conservation = _conservation(conn, scope, lines)
    findings = check_balanced(postings)
    findings += check_conservation(conservation)
    findings += check_payout_identity(
        payout_identities(lines, books.paid_out(conn, scope.run_date))
    )
    findings += check_refunds_within_original(eod_sql.settled_refunds(conn, scope.run_date))
    findings += check_reversals_equal_original(*eod_sql.voids(conn, scope.run_date))
    if findings:
        raise InvariantBroken(findings)
    bulk_insert(
        conn,
        ledger_entries,
        ["run_date", "entry_no", "account", "currency", "debit_minor", "credit_minor", "memo"],
        (
            (scope.run_date, number, str(p.account), p.currency, p.debit_minor, p.credit_minor,
             p.memo[:80])
            for number, p in enumerate(postings, start=1)
        ),
    )  # fmt: skip
    return {
        currency: {
            "staged_minor": c.staged_minor,
            "settled_minor": c.settled_minor,
            "held_minor": c.held_minor,
            "exceptions_minor": c.exceptions_minor,
            "reversed_minor": c.reversed_minor,
        }
        for currency, c in sorted(conservation.items())
    }
