"""Ledger postings and the invariants a run must satisfy before it commits.

Conservation, per transaction currency, gross minor units:
    staged (every row in the run's scope) = settled + held + exceptions + reversed
where `settled` is summed over settlement_lines (not over items), so a dropped line shows.
Payout identity, per settlement currency:
    purchases - refunds (over lines) - debits carried in + debits carried out
    = amounts due + fees + fx markup (over the payout rows);
and each merchant debit carried is taken in once, as passed on: a re-run of an earlier date
that changes a debit a later date already took in names that date, to be re-run after it
(`later_dates_to_rerun`).
The ledger balances per currency. Refunds and reversals, read again from the lines and the
staged rows: every settled refund names a purchase of its merchant and currency, and a
purchase's settled refunds over all runs stay within it; every voided purchase was voided
by exactly one reversal equal to it (docs/refunds-and-reversals.md). Any finding aborts
the run with the numbers.
"""

from __future__ import annotations

from collections import defaultdict

from settlement.domain.ledger import (
    Conservation,
    Finding,
    SettledFlow,
    carries_to_redo,
    check_balanced,
    check_conservation,
    check_payout_identity,
    check_refunds_within_original,
    check_reversals_equal_original,
    payout_identities,
    post,
)
from settlement.domain.recon_classes import Outcome
from settlement.domain.run_scope import Scope
from settlement.eod.store import EodStore


class InvariantBroken(RuntimeError):
    """A run whose numbers disagree; nothing of it is committed."""

    def __init__(self, findings: list[Finding]) -> None:
        lines = [f"{f.check} [{f.currency}]: {f.detail}" for f in findings]
        super().__init__("end of day aborted, invariant broken: " + "; ".join(lines))
        self.findings = findings


def _conservation(
    store: EodStore, scope: Scope, lines: list[SettledFlow]
) -> dict[str, Conservation]:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for currency, total in store.staged_by_currency(scope).items():
        totals[currency]["staged_minor"] += total
    for flow in lines:
        totals[flow.original_currency]["settled_minor"] += flow.original_minor
    names: dict[str, str] = {
        Outcome.HELD: "held_minor",
        Outcome.EXCEPTION: "exceptions_minor",
        Outcome.REVERSED: "reversed_minor",
    }
    for currency, outcome, total in store.unsettled_by_currency(scope.run_date):
        totals[currency][names.get(outcome, "unknown_" + outcome)] += total
    return {currency: Conservation(**values) for currency, values in totals.items()}


def post_and_check(store: EodStore, scope: Scope) -> dict[str, dict[str, int]]:
    """Check every invariant, then write the ledger; raises InvariantBroken on any finding."""
    day = scope.run_date
    lines = store.settled_flows(day)
    postings = post(lines, store.parked_flows(day), store.carried_flows(day))
    conservation = _conservation(store, scope, lines)
    findings = check_balanced(postings)
    findings += check_conservation(conservation)
    findings += check_payout_identity(payout_identities(lines, store.paid_out(day)))
    findings += check_refunds_within_original(store.settled_refunds(day))
    findings += check_reversals_equal_original(*store.voids(day))
    if findings:
        raise InvariantBroken(findings)
    store.write_ledger(day, postings)
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


def later_dates_to_rerun(store: EodStore, scope: Scope) -> list[str]:
    """Later dates whose payouts took in a merchant debit this run now passes on otherwise
    (a re-run of an earlier date whose input changed): re-running them, in date order,
    carries each debit once again. Not a finding: re-running a middle date and then the
    later ones is how a late arrival is settled (docs/payouts.md)."""
    if not scope.later_runs_exist:
        return []
    return carries_to_redo(store.carry_links(scope.run_date))
