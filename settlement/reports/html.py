"""report.html: one self-contained page (inline CSS and SVG, no script, no network).

The template (`templates/report.html.j2`) lays the page out; this module turns the report's
values into what it shows: amounts via `Money.format` with thousands separators, charts as
inline SVG. Key numbers carry `data-summary-key` (a dotted path into summary.json) so a
browser test can check that what a person reads equals what a machine reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import groupby
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from settlement.compare.result import ModeResult
from settlement.domain.money import Money
from settlement.domain.netting import PayoutDirection
from settlement.domain.recon_classes import Outcome, ReconClass
from settlement.reports.charts import Bar, BarGroup, bar_chart, column_chart
from settlement.reports.model import Comparison, DayReport, PayoutRow
from settlement.reports.reasons import ExceptionReason
from settlement.reports.summary import decimal_text

TEMPLATES = Path(__file__).resolve().parent / "templates"
HALF = 480  # width of a chart beside a table
PAYOUT_BARS = 5  # merchants per currency in the payouts chart; the table lists the largest

CLASS_MEANING = {str(c): c.meaning for c in ReconClass}  # one line per class, from its home
REASON_MEANING = {str(r): r.meaning for r in ExceptionReason}  # the reasons beyond the class


def group_digits(text: str) -> str:
    """'-1234567.89' -> '-1,234,567.89' on the exact decimal string (no float involved)."""
    sign, body = ("-", text[1:]) if text.startswith("-") else ("", text)
    units, dot, fraction = body.partition(".")
    return f"{sign}{int(units):,}{dot}{fraction}"


def money(minor: int | None, currency: str) -> str:
    if minor is None:
        return ""
    return group_digits(Money(int(minor), currency).format())


def count(value: int) -> str:
    return f"{value:,}"


def percent(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio * 100:.1f}%"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(money=money, count=count, percent=percent, residue=decimal_text)
    return env


def _payout_groups(rows: Iterable[PayoutRow]) -> list[BarGroup]:
    groups = []
    for currency, group in groupby(rows, key=lambda row: row.currency):
        members = list(group)
        shown = members[:PAYOUT_BARS]
        more = f" (top {len(shown)} of {len(members)})" if len(members) > len(shown) else ""
        bars = [
            Bar(f"{r.merchant_id} {r.merchant_name}", r.payout_minor,
                f"{money(r.payout_minor, currency)} {currency}",
                "bad" if r.direction == PayoutDirection.DEBIT else "primary")
            for r in shown
        ]  # fmt: skip
        groups.append(BarGroup(f"{currency}{more}", bars))
    return groups


def _comparison_chart(comparison: Comparison) -> Markup:
    metrics: tuple[tuple[str, Callable[[ModeResult], tuple[float, str]]], ...] = (
        ("SQS requests", lambda m: (m.sqs_requests_total, f"{m.sqs_requests_total:,}")),
        ("throughput, msg/s", lambda m: (m.throughput_msg_s, f"{m.throughput_msg_s:,.1f}")),
        ("latency p50, ms", lambda m: (m.latency_ms["p50"], f"{m.latency_ms['p50']:,.1f}")),
        ("latency p99, ms", lambda m: (m.latency_ms["p99"], f"{m.latency_ms['p99']:,.1f}")),
    )
    tones = {"async": "a", "batch": "b"}
    groups = []
    for name, pick in metrics:
        bars = []
        for mode in comparison.modes:
            value, text = pick(mode)
            bars.append(Bar(mode.mode, value, text, tones.get(mode.mode, "muted")))
        groups.append(BarGroup(name, bars))
    return bar_chart(groups, "batch vs asynchronous consumption", label_w=110, width=HALF)


def charts(report: DayReport) -> dict[str, Markup]:
    recon, fraud = report.recon, report.fraud
    hours = [Bar(b.label, b.count, f"{b.count:,} transactions") for b in report.hours.buckets]
    exceptions = [
        Bar(
            c.recon_class,
            c.count,
            f"{c.count:,}",
            "warn" if c.outcome == Outcome.NOT_STAGED else "bad",
        )
        for c in recon.classes
        if c.outcome in (Outcome.EXCEPTION, Outcome.NOT_STAGED)
    ]
    held = [Bar(reason, n, f"{n:,}", "warn") for reason, n in recon.held_by_reason.items()]
    rules = [
        Bar(r.rule, r.flags, f"{r.flags:,} flags, {r.held:,} held", "warn") for r in fraud.rules
    ]
    found = {
        "hours": column_chart(hours, "staged transactions per hour"),
        "exceptions": bar_chart(
            [BarGroup("", exceptions), BarGroup("held (matched, kept from settlement)", held)]
            if held
            else [BarGroup("", exceptions)],
            "exceptions by class",
            label_w=150,
            width=HALF,
        ),
        "rules": bar_chart([BarGroup("", rules)], "fraud flags by rule", 150, HALF),
        "payouts": bar_chart(
            _payout_groups(report.books.payouts), "payouts by merchant", label_w=300
        ),
    }
    if report.comparison is not None:
        found["comparison"] = _comparison_chart(report.comparison)
    return found


def render_html(report: DayReport, summary: dict[str, Any], links: tuple[str, ...] = ()) -> str:
    """The page; `links`: the files to link to, relative to report.html."""
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=report,
        summary=summary,
        links=links,
        charts=charts(report),
        class_meaning=CLASS_MEANING,
        reason_meaning=REASON_MEANING,
        all_passed=all(check.passed for check in report.checks),
    )
