"""Reconciliation and fraud aggregates of one business date, for the report.

Exceptions are the open items that stop money: staged rows classed as exceptions and journal
lines never staged (`not_staged`); held items are matched but kept from settlement (fraud
review or decline, no rate, unknown merchant). Both keep their reason and age.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from settlement.adapters.report_reads.recon import ReconReads
    from settlement.adapters.report_reads.records import HeldItem, ReconItem


def gather_recon(reads: ReconReads, day: date) -> Reconciliation:
    exceptions, exceptions_total = reads.exceptions(day, DETAIL_ROWS)
    return Reconciliation(
        classes=tuple(ClassCount(*row) for row in reads.class_counts(day)),
        journal_count=reads.journal_count(day),
        terminals=reads.terminal_count(day),
        differences=tuple(TerminalDifference(*row) for row in reads.terminal_differences(day)),
        exceptions=Listing(tuple(open_item(item) for item in exceptions), exceptions_total),
        held=_held(reads, day),
        held_by_reason=reads.held_by_reason(day),
    )


def open_item(item: ReconItem, detail: str = "") -> OpenItem:
    return OpenItem(
        item.transaction_id, item.recon_class, item.outcome, item.reason or item.recon_class,
        item.business_date, int(item.age_business_days), item.merchant_id, item.terminal_id,
        item.transaction_type, item.currency, item.staged_amount_minor,
        item.journal_amount_minor, detail,
    )  # fmt: skip


def _held(reads: ReconReads, day: date) -> Listing:
    """Held items with what held them beside their reason: the fraud rules, or which
    currency had no usable rate and how old its latest one was."""
    held, total = reads.held(day, HELD_ROWS)
    return Listing(tuple(open_item(row.item, _hold_detail(row)) for row in held), total)


def _hold_detail(row: HeldItem) -> str:
    if not row.rules:
        return row.item.reason_detail or ""
    return f"{row.rules.replace(',', ', ')} (score {row.fraud_score})"


def gather_fraud(reads: ReconReads, day: date, scorecard: dict[str, Any] | None) -> Fraud:
    by_rule = tuple(RuleFlags(*row) for row in reads.flags_by_rule(day))
    by_action = reads.decisions_by_action(day)
    return Fraud(
        rules=by_rule,
        flags=sum(rule.flags for rule in by_rule),
        flagged_transactions=sum(by_action.values()),
        actions=by_action,
        scorecard=scorecard,
    )
