"""Read `lesson.json` (written by `settlement lesson` beside the day's reports) for the
report's batch-vs-async section. A missing file means the day's run had no lesson; a file of
another shape is refused loudly rather than shown half-read (as compare.json is)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from settlement.compare.lesson import SCHEMA, duration_text
from settlement.reports.documents import read_document


class LessonFormatError(ValueError):
    """lesson.json exists but is not what `settlement lesson` writes."""


@dataclass(frozen=True, slots=True)
class Amount:
    transactions: int
    amount_eur_minor: int


@dataclass(frozen=True, slots=True)
class ModeFigures:
    held_stories: int
    time_to_hold_s_median: int | None
    time_to_hold_s_worst: int | None
    accepted_before_hold: Amount
    never_held_stories: int
    never_held: Amount

    @property
    def median_text(self) -> str:
        """The median time to hold in words ("4 h 50 min"); "–" with no story held."""
        return (
            "–" if self.time_to_hold_s_median is None else duration_text(self.time_to_hold_s_median)
        )

    @property
    def worst_text(self) -> str:
        return (
            "–" if self.time_to_hold_s_worst is None else duration_text(self.time_to_hold_s_worst)
        )


@dataclass(frozen=True, slots=True)
class ScenarioFigures:
    scenario: str
    story: str
    stories: int
    fraud_transactions: int
    by_mode: dict[str, ModeFigures]  # async, batch


@dataclass(frozen=True, slots=True)
class ClaimRow:
    metric: str
    label: str
    claimed: str
    unit: str
    async_value: str | None  # None: nothing to measure (no story held that way)
    batch_value: str | None
    winner: str
    holds: bool
    why: str | None

    def text(self, mode: str) -> str:
        """A measured value as the page shows it: seconds as a duration, else with its unit."""
        value = self.async_value if mode == "async" else self.batch_value
        if value is None:
            return "–"
        if self.unit == "s" and value.isdigit():
            return duration_text(int(value))
        return f"{value} {self.unit}"


@dataclass(frozen=True, slots=True)
class Lesson:
    run_id: str | None  # the end-of-day run it measured
    business_date: str
    cutoff: str
    batch_held_at: str
    agreement_equal: bool
    held: int
    released: int
    scenarios: tuple[ScenarioFigures, ...]
    total: ScenarioFigures
    transactions: int
    cpu_us_per_tx: dict[str, int]  # async, batch
    cpu_s: dict[str, float]
    screened_purchases: int
    screened_groups: int
    claims: tuple[ClaimRow, ...]


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _amount(document: dict[str, Any]) -> Amount:
    return Amount(int(document["transactions"]), int(document["amount_eur_minor"]))


def _mode(document: dict[str, Any]) -> ModeFigures:
    return ModeFigures(
        held_stories=int(document["held_stories"]),
        time_to_hold_s_median=_optional_int(document["time_to_hold_s_median"]),
        time_to_hold_s_worst=_optional_int(document["time_to_hold_s_worst"]),
        accepted_before_hold=_amount(document["accepted_before_hold"]),
        never_held_stories=int(document["never_held"]["stories"]),
        never_held=_amount(document["never_held"]),
    )


def _scenario(document: dict[str, Any]) -> ScenarioFigures:
    return ScenarioFigures(
        scenario=str(document["scenario"]),
        story=str(document["story"]),
        stories=int(document["stories"]),
        fraud_transactions=int(document["fraud_transactions"]),
        by_mode={mode: _mode(document[mode]) for mode in ("async", "batch")},
    )


def _claim(document: dict[str, Any]) -> ClaimRow:
    why = document["why"]
    return ClaimRow(
        metric=str(document["metric"]),
        label=str(document["label"]),
        claimed=str(document["claimed"]),
        unit=str(document["unit"]),
        async_value=_optional_str(document["async_value"]),
        batch_value=_optional_str(document["batch_value"]),
        winner=str(document["winner"]),
        holds=bool(document["holds"]),
        why=None if why is None else str(why),
    )


def _lesson(document: dict[str, Any]) -> Lesson:
    if document["schema"] != SCHEMA:
        raise ValueError(f"schema {document['schema']!r}, expected {SCHEMA!r}")
    compute, agreement = document["compute"], document["agreement"]
    modes = ("async", "batch")
    run_id = document["run_id"]
    return Lesson(
        run_id=None if run_id is None else str(run_id),
        business_date=str(document["business_date"]),
        cutoff=str(document["cutoff"]),
        batch_held_at=str(document["batch_held_at"]),
        agreement_equal=bool(agreement["equal"]),
        held=int(agreement["held"]),
        released=int(document["provisional_holds_released"]),
        scenarios=tuple(_scenario(s) for s in document["scenarios"]),
        total=_scenario(document["total"]),
        transactions=int(compute["transactions"]),
        cpu_us_per_tx={mode: int(compute[mode]["cpu_us_per_tx"]) for mode in modes},
        cpu_s={mode: float(compute[mode]["cpu_s"]) for mode in modes},
        screened_purchases=int(compute["lane_work"]["screened_purchases"]),
        screened_groups=int(compute["lane_work"]["screened_groups"]),
        claims=tuple(_claim(claim) for claim in document["claims"]),
    )


def load_lesson(path: Path, run_id: str | None = None) -> Lesson | None:
    """The lesson of the end-of-day run `run_id` (any run when None); None when there is
    none, or when the file measured another run (a later `settlement demo` or `eod --rerun`
    of the date): it would show another day's figures."""
    if not path.is_file():
        return None
    try:
        lesson = _lesson(read_document(path))
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as error:
        raise LessonFormatError(f"{path}: not a `settlement lesson` result ({error})") from None
    return lesson if run_id is None or lesson.run_id == run_id else None


def _mode_summary(figures: ModeFigures) -> dict[str, int | None]:
    return {
        "held_stories": figures.held_stories,
        "time_to_hold_s_median": figures.time_to_hold_s_median,
        "time_to_hold_s_worst": figures.time_to_hold_s_worst,
        "accepted_transactions": figures.accepted_before_hold.transactions,
        "accepted_eur_minor": figures.accepted_before_hold.amount_eur_minor,
        "never_held_stories": figures.never_held_stories,
        "never_held_transactions": figures.never_held.transactions,
        "never_held_eur_minor": figures.never_held.amount_eur_minor,
    }


def _scenario_summary(figures: ScenarioFigures) -> dict[str, Any]:
    return {
        "stories": figures.stories,
        "fraud_transactions": figures.fraud_transactions,
        **{mode: _mode_summary(by) for mode, by in figures.by_mode.items()},
    }


def lesson_summary(lesson: Lesson | None) -> dict[str, Any] | None:
    """summary.json's `batch_vs_async.lesson`: the integers the report's section shows."""
    if lesson is None:
        return None
    return {
        "transactions": lesson.transactions,
        "held": lesson.held,
        "agreement": lesson.agreement_equal,
        "provisional_holds_released": lesson.released,
        "scenarios": {s.scenario: _scenario_summary(s) for s in lesson.scenarios},
        "total": _scenario_summary(lesson.total),
        "cpu_us_per_tx": dict(lesson.cpu_us_per_tx),
        "lane_screened_purchases": lesson.screened_purchases,
    }
