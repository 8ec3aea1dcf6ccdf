"""The lesson of one generated day: what waiting for the end-of-day batch costs against
screening each purchase as it arrives, per fraud scenario and per story, with the compute
each way and the transport figures of `compare-modes`; written as lesson.json (its shape is
documented in docs/lesson.md) and async_holds.csv.

A story is one card for the card scenarios and one terminal for compromised_terminal (the
registry says which: a scenario only terminal rules target is a terminal's story). Its time
to hold runs from its first fraudulent purchase (`transacted_at`) to the first hold of one
of its fraudulent purchases; the purchases "accepted before the hold" are its fraudulent
ones transacted before that hold (authorised at the till while nobody had flagged the card).
Amounts are EUR minor units through the end of day's own converter, never a float.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from statistics import median_low
from typing import Any

from settlement.compare.claims import Claim, compute_claim, time_to_hold_claim, transport_claims
from settlement.compare.result import ModeResult
from settlement.csv_cells import spreadsheet_safe_row
from settlement.domain.fraud import FraudDecision
from settlement.domain.fraud.activity import ToEur
from settlement.domain.fraud.registry import RULES
from settlement.domain.fraud.spec import TerminalRule
from settlement.domain.money import Money
from settlement.domain.transactions import FRAUD_SCENARIOS, LEGIT_LABEL, StagedTransaction

SCHEMA = "cardsettle.lesson.v1"
LESSON_FILE, HOLDS_FILE = "lesson.json", "async_holds.csv"
MODES = ("async", "batch")
HOLDS_COLUMNS = ("transaction_id", "label", "transacted_at", "sent_at", "held_at_async",
                 "held_at_batch", "action", "rules")  # fmt: skip


def story_kind(scenario: str) -> str:
    """'terminal' when only terminal rules target the scenario, else 'card'."""
    specs = [spec for spec in RULES.values() if scenario in spec.scenarios]
    terminal = bool(specs) and all(isinstance(spec, TerminalRule) for spec in specs)
    return "terminal" if terminal else "card"


@dataclass(frozen=True, slots=True)
class DayRun:
    """Everything measured on the day, both ways."""

    arrivals: Sequence[tuple[StagedTransaction, datetime]]  # the date's, in arrival order
    labels: Mapping[str, str]
    async_held_at: Mapping[str, datetime]
    batch_decisions: Mapping[str, FraudDecision]
    batch_held_at: datetime  # the cutoff plus the run's duration
    to_eur: ToEur
    lane_cpu_s: float
    batch_cpu_s: float
    lane_work: Mapping[str, int]  # the lane's counters
    released: int  # provisional holds the lane withdrew
    agreement: Mapping[str, Any]
    transport: Sequence[ModeResult] = ()
    tps: float = 0.0
    extra: Mapping[str, Any] = field(default_factory=dict)

    def held_at(self, mode: str, transaction_id: str) -> datetime | None:
        if mode == "async":
            return self.async_held_at.get(transaction_id)
        decision = self.batch_decisions.get(transaction_id)
        return self.batch_held_at if decision is not None and decision.held else None


@dataclass(slots=True)
class _Story:
    scenario: str
    purchases: list[StagedTransaction] = field(default_factory=list)

    def first_hold(self, run: DayRun, mode: str) -> datetime | None:
        holds = [run.held_at(mode, tx.transaction_id) for tx in self.purchases]
        return min((at for at in holds if at is not None), default=None)


def _stories(run: DayRun) -> dict[tuple[str, str], _Story]:
    stories: dict[tuple[str, str], _Story] = {}
    for tx, _sent_at in run.arrivals:
        scenario = run.labels.get(tx.transaction_id, LEGIT_LABEL)
        if scenario == LEGIT_LABEL:
            continue
        key = tx.terminal_id if story_kind(scenario) == "terminal" else tx.card_token
        stories.setdefault((scenario, key), _Story(scenario)).purchases.append(tx)
    for story in stories.values():
        story.purchases.sort(key=lambda tx: (tx.transacted_at, tx.transaction_id))
    return stories


def _amount(purchases: Iterable[StagedTransaction], to_eur: ToEur) -> dict[str, Any]:
    counted = [to_eur(tx.amount) for tx in purchases]
    eur_minor = sum(money.amount_minor for money in counted if money is not None)
    return {
        "transactions": len(counted),
        "amount_eur_minor": eur_minor,
        "amount_eur": Money(eur_minor, "EUR").format(),
        "without_eur_rate": sum(1 for money in counted if money is None),
    }


def _mode_figures(stories: Sequence[_Story], run: DayRun, mode: str) -> dict[str, Any]:
    waits: list[int] = []
    accepted: list[StagedTransaction] = []
    never: list[_Story] = []
    for story in stories:
        hold = story.first_hold(run, mode)
        if hold is None:
            never.append(story)
            continue
        waits.append(round((hold - story.purchases[0].transacted_at).total_seconds()))
        accepted += [tx for tx in story.purchases if tx.transacted_at < hold]
    return {
        "held_stories": len(waits),
        "time_to_hold_s_median": median_low(waits) if waits else None,
        "time_to_hold_s_worst": max(waits) if waits else None,
        "accepted_before_hold": _amount(accepted, run.to_eur),
        "never_held": {
            "stories": len(never),
            **_amount([tx for story in never for tx in story.purchases], run.to_eur),
        },
    }


def _scenario(name: str, stories: Sequence[_Story], run: DayRun) -> dict[str, Any]:
    return {
        "scenario": name,
        "story": story_kind(name) if name != "all" else "card or terminal",
        "stories": len(stories),
        "fraud_transactions": sum(len(story.purchases) for story in stories),
        **{mode: _mode_figures(stories, run, mode) for mode in MODES},
    }


def _compute(run: DayRun) -> dict[str, Any]:
    n = len(run.arrivals)

    def per(cpu_s: float) -> int:
        return round(cpu_s * 1_000_000 / n) if n else 0

    return {
        "transactions": n,
        "async": {"cpu_s": round(run.lane_cpu_s, 4), "cpu_us_per_tx": per(run.lane_cpu_s)},
        "batch": {"cpu_s": round(run.batch_cpu_s, 4), "cpu_us_per_tx": per(run.batch_cpu_s)},
        "lane_work": dict(run.lane_work),
    }


def build_lesson(run: DayRun, business_date: str, cutoff: datetime) -> dict[str, Any]:
    """lesson.json's document (docs/lesson.md describes every key)."""
    stories = _stories(run)
    names = [s for s in FRAUD_SCENARIOS if any(k[0] == s for k in stories)]
    names += sorted({k[0] for k in stories} - set(names))
    scenarios = [_scenario(s, [v for k, v in stories.items() if k[0] == s], run) for s in names]
    total = _scenario("all", list(stories.values()), run)
    compute = _compute(run)
    claims: list[Claim] = [
        *transport_claims(run.transport, run.tps),
        time_to_hold_claim(total),
        compute_claim(compute),
    ]
    return {
        "schema": SCHEMA,
        "business_date": business_date,
        "arrival_order": "sent_at",
        "cutoff": cutoff.isoformat(),
        "batch_held_at": run.batch_held_at.isoformat(),
        "agreement": dict(run.agreement),
        "provisional_holds_released": run.released,
        "scenarios": scenarios,
        "total": total,
        "compute": compute,
        "claims": [claim.to_dict() for claim in claims],
        **run.extra,
    }


def hold_rows(run: DayRun) -> list[tuple[str, ...]]:
    """async_holds.csv: every purchase held either way or labelled fraud, by time."""
    rows = []
    for tx, sent_at in sorted(
        run.arrivals, key=lambda a: (a[0].transacted_at, a[0].transaction_id)
    ):
        tid = tx.transaction_id
        label = run.labels.get(tid, LEGIT_LABEL)
        held = [run.held_at(mode, tid) for mode in MODES]
        if label == LEGIT_LABEL and held == [None, None]:
            continue
        decision = run.batch_decisions.get(tid)
        rows.append((
            tid, label, tx.transacted_at.isoformat(), sent_at.isoformat(),
            *("" if at is None else at.isoformat() for at in held),
            "" if decision is None else str(decision.action),
            "" if decision is None else " ".join(decision.reasons),
        ))  # fmt: skip
    return rows


def write_lesson(directory: Path, lesson: Mapping[str, Any], rows: Iterable[Sequence[str]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / HOLDS_FILE).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HOLDS_COLUMNS)
        writer.writerows(spreadsheet_safe_row(row) for row in rows)
    text = json.dumps(lesson, indent=2, ensure_ascii=False) + "\n"
    (directory / LESSON_FILE).write_text(text, encoding="utf-8")


def duration_text(seconds: int) -> str:
    """12 s, 4 min 05 s, 13 h 02 min: how long a story ran before it was held."""
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
