"""Reconciliation and fraud aggregates of one business date, for the report.

Exceptions are the open items that stop money: staged rows classed as exceptions and journal
lines never staged (`not_staged`); held items are matched but kept from settlement (fraud
review or decline, no rate, unknown merchant). Both keep their reason and age; an exception's
reason is the one beyond its class (`reports.reasons`: lost or rejected, how late, by how
much), counted over every exception of the date and shown for the largest.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import TYPE_CHECKING, Any

from settlement.reports.model import (
    TOP_ROWS,
    ClassCount,
    Fraud,
    Listing,
    OpenItem,
    ReasonCount,
    Reconciliation,
    RuleFlags,
    TerminalDifference,
)
from settlement.reports.reasons import CutoffOf, ExceptionReason, explain

if TYPE_CHECKING:
    from settlement.adapters.report_reads.detail_rows import DetailRows
    from settlement.adapters.report_reads.recon import ReconReads
    from settlement.adapters.report_reads.records import ExceptionItem, HeldItem, ReconItem
    from settlement.reports.tallies import ItemTally


def gather_recon(
    reads: ReconReads, detail: DetailRows, day: date, cutoff_of: CutoffOf, items: ItemTally
) -> Reconciliation:
    exceptions, exceptions_total = reads.exceptions(day, TOP_ROWS)
    differences, differences_total = reads.terminal_differences(day, TOP_ROWS)
    reasons, rejected_by_reason = _reason_counts(detail, day, cutoff_of)
    return Reconciliation(
        classes=tuple(ClassCount(*row) for row in items.class_counts()),
        journal_count=reads.journal_count(day),
        terminals=reads.terminal_count(day),
        differences=tuple(TerminalDifference(*row) for row in differences),
        exceptions=Listing(
            tuple(exception_item(item, cutoff_of) for item in exceptions), exceptions_total
        ),
        held=_held(reads, day),
        held_by_reason=reads.held_by_reason(day),
        differences_total=differences_total,
        terminals_with_difference=reads.terminals_with_difference(day),
        exception_reasons=reasons,
        missing_rejected_by_reason=rejected_by_reason,
    )


def _reason_counts(
    detail: DetailRows, day: date, cutoff_of: CutoffOf
) -> tuple[tuple[ReasonCount, ...], dict[str, int]]:
    """Every exception of the date counted by (class, reason), and the journal lines the
    gateway rejected by the reject's reason code: streamed, as exceptions.csv is."""
    reasons: Counter[tuple[str, str]] = Counter()
    rejected: Counter[str] = Counter()
    for item in detail.exceptions(day):
        reason = explain(item, cutoff_of).reason
        reasons[item.recon_class, reason] += 1
        if reason == ExceptionReason.REJECTED and item.reject_reason is not None:
            rejected[item.reject_reason] += 1
    counted = tuple(ReasonCount(c, r, n) for (c, r), n in sorted(reasons.items()))
    return counted, dict(sorted(rejected.items()))


def exception_item(item: ExceptionItem, cutoff_of: CutoffOf) -> OpenItem:
    why = explain(item, cutoff_of)
    return OpenItem(
        item.transaction_id, item.recon_class, item.outcome, why.reason,
        item.business_date, int(item.age_business_days), item.merchant_id, item.terminal_id,
        item.transaction_type, item.currency, item.staged_amount_minor,
        item.journal_amount_minor, why.detail, why.late_by_min,
    )  # fmt: skip


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
    held, total = reads.held(day, TOP_ROWS)
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
