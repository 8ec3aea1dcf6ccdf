"""`summary.json`: the machine-readable totals of one business date's report.

Integers are minor units (`*_minor`) or counts; nothing is a float except the fraud
scorecard's ratios and the FX residue, which is a decimal *string* of minor units (exact to
six decimals). Keys are documented in docs/reports.md (section "summary.json"); `schema` names the
version so a consumer can refuse one it does not know.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

from settlement.domain.ledger import REFUNDS_CHECK, REVERSALS_CHECK
from settlement.reports.gather_gateway import BUSINESS_DAY
from settlement.reports.lesson import lesson_summary
from settlement.reports.model import DayReport

SCHEMA = "cardsettle.report.v1"


def decimal_text(value: Fraction, places: int = 6) -> str:
    """An exact fraction as a signed decimal string, rounded half-even at `places`."""
    quantum = Decimal(1).scaleb(-places)
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(quantum, ROUND_HALF_EVEN))


def _counts(report: DayReport) -> dict[str, Any]:
    recon, fraud = report.recon, report.fraud
    classes: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    for item in recon.classes:
        classes[item.recon_class] = classes.get(item.recon_class, 0) + item.count
        outcomes[item.outcome] = outcomes.get(item.outcome, 0) + item.count
    return {
        "staged": report.staged_count,
        "journal": recon.journal_count,
        "by_type": report.by_type,
        "recon_classes": dict(sorted(classes.items())),
        "outcomes": dict(sorted(outcomes.items())),
        "exceptions": recon.exceptions.total,
        "held": recon.held.total,
        "held_by_reason": recon.held_by_reason,
        # the reason beyond the class (reports.reasons): lost, rejected, sent_after_cutoff...
        "exceptions_by_reason": _by_reason(report),
        "missing_rejected_by_reason": recon.missing_rejected_by_reason,
        "terminals": recon.terminals,
        "terminals_with_difference": recon.terminals_with_difference,
        "fraud_flags": fraud.flags,
        "fraud_flagged_transactions": fraud.flagged_transactions,
        "fraud_flags_by_rule": {rule.rule: rule.flags for rule in fraud.rules},
        "fraud_actions": fraud.actions,
        "settlement_lines": report.books.settlement_lines,
        "payouts": len(report.books.payouts),
    }


def _by_reason(report: DayReport) -> dict[str, int]:
    counted: dict[str, int] = {}
    for row in report.recon.exception_reasons:
        counted[row.reason] = counted.get(row.reason, 0) + row.count
    return dict(sorted(counted.items()))


def _gateway(report: DayReport) -> dict[str, Any]:
    """What the gateway did in the report's window (`gateway_batches`, `rejected_messages`).
    Latency as mean and max, never the sum: a replay's sum of capture ages runs to 13 digits
    and more, which a PAN scanner rightly flags one time in ten (Luhn); and none for a replay,
    whose latency is the capture's age, not the gateway's."""
    g = report.gateway
    live = g.window is not None and g.window.kind == BUSINESS_DAY
    window = None if g.window is None else {
        "kind": g.window.kind, "start": g.window.start.isoformat(),
        "end": g.window.end.isoformat(),
    }  # fmt: skip
    return {
        "window": window, "batches": g.batches, "consumers": g.consumers,
        "received": g.received, "staged": g.staged, "duplicates": g.duplicates,
        "rejected": g.rejected, "failed": g.failed,
        "latency_ms_mean": g.latency_ms_mean if live else None,
        "latency_ms_max": g.latency_ms_max if live else None,
        "rejected_by_reason": g.rejected_by_reason,
        "by_batch_size": {
            str(b.max_batch): {
                "batches": b.batches, "consumers": b.consumers, "received": b.received,
                "staged": b.staged, "latency_ms_mean": b.latency_ms_mean if live else None,
                "latency_ms_max": b.latency_ms_max if live else None,
            }
            for b in g.by_batch_size
        },
    }  # fmt: skip


def _currencies(report: DayReport) -> dict[str, dict[str, int]]:
    return {
        v.currency: {
            "staged_count": v.staged_count,
            "staged_minor": v.staged_minor,
            "settled_minor": v.settled_minor,
            "held_minor": v.held_minor,
            "exceptions_minor": v.exceptions_minor,
            "reversed_minor": v.reversed_minor,
            "conservation_difference_minor": v.difference_minor,
        }
        for v in report.volumes
    }


def _payouts(report: DayReport) -> dict[str, dict[str, int]]:
    return {
        t.currency: {
            "merchants": t.merchants,
            "line_count": t.line_count,
            "purchases_minor": t.purchases_minor,
            "refunds_minor": t.refunds_minor,
            "fees_minor": t.fees_minor,
            "fx_markup_minor": t.fx_markup_minor,
            "payout_minor": t.payout_minor,
            "merchant_debits": t.merchant_debits,
            "carried_in_minor": t.carried_in_minor,
            "carried_out_minor": t.carried_out_minor,
            "due_minor": t.due_minor,
        }
        for t in report.books.payout_totals
    }


def _fx(report: DayReport) -> list[dict[str, Any]]:
    return [
        {
            "from_currency": p.from_currency,
            "to_currency": p.to_currency,
            "rate": p.rate,
            "rate_date": p.rate_date.isoformat(),
            "source": p.source,
            "rate_age_days": p.age_days,
            "lines": p.lines,
            "original_minor": p.original_minor,
            "converted_minor": p.converted_minor,
            "rounding_residue_minor": decimal_text(p.residue_minor),
        }
        for p in report.books.fx
    ]


def _ledger(report: DayReport) -> dict[str, dict[str, int]]:
    ledger: dict[str, dict[str, int]] = {}
    for row in report.books.trial_balance:
        sums = ledger.setdefault(row.currency, {"debit_minor": 0, "credit_minor": 0})
        sums["debit_minor"] += row.debit_minor
        sums["credit_minor"] += row.credit_minor
    return ledger


def _checks(report: DayReport) -> dict[str, bool]:
    names = ("ledger_balanced", "conservation", "payout_identity", REFUNDS_CHECK, REVERSALS_CHECK)
    return {
        name: all(check.passed for check in report.checks if check.name == name) for name in names
    }


def build_summary(report: DayReport) -> dict[str, Any]:
    run = report.run
    return {
        "schema": SCHEMA,
        "business_date": run.business_date.isoformat(),
        "run": {
            "run_id": run.run_id,
            "status": run.status,
            "attempt": run.attempt,
            "started_at": run.started_at.isoformat(),
            "finished_at": None if run.finished_at is None else run.finished_at.isoformat(),
        },
        "counts": _counts(report),
        "gateway": _gateway(report),
        "currencies": _currencies(report),
        "payouts": _payouts(report),
        "fx": _fx(report),
        "ledger": _ledger(report),
        "checks": _checks(report),
        "fraud_scorecard": _scorecard(report),
        "batch_vs_async": {
            "lesson": lesson_summary(report.lesson),
            "transport": _transport(report),
        },
    }


def _transport(report: DayReport) -> dict[str, Any] | None:
    """compare-modes' counts (its timings are floats: compare.json carries them)."""
    if report.comparison is None:
        return None
    return {
        "messages": report.comparison.messages,
        "sqs_requests_total": {m.mode: m.sqs_requests_total for m in report.comparison.modes},
    }


def _scorecard(report: DayReport) -> dict[str, Any] | None:
    card = report.fraud.scorecard
    if card is None:
        return None
    return {
        "population": card["population"],
        "fraud": card["fraud"],
        "overall": card["overall"],
        "rules": {
            rule["rule"]: {key: value for key, value in rule.items() if key != "rule"}
            for rule in card["rules"]
        },
        "confusion_matrix": card["confusion_matrix"],
        "catchable": {
            scenario["scenario"]: {
                "transactions": scenario["transactions"],
                "catchable": scenario.get("catchable"),
                "not_catchable": scenario.get("not_catchable", {}),
            }
            for scenario in card.get("scenarios", [])
        },
    }


def summary_text(report: DayReport) -> str:
    return json.dumps(build_summary(report), indent=2, ensure_ascii=False) + "\n"
