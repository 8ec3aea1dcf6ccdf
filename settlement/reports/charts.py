"""Inline SVG charts for the HTML report: no script, no network, printable.

Two shapes cover what an analyst reads at a glance: columns over time (transactions per
hour) and labelled horizontal bars, optionally in groups (exceptions by class, flags by
rule, payouts by merchant per currency, batch vs async). Bar lengths are drawing geometry
only; every number a reader sees is a label made by the caller (money via `Money.format`).
Coordinates are rounded to 0.1 so the same data gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

TONES = {
    "primary": "#1f4e79",
    "warn": "#b26a00",
    "bad": "#b3261e",
    "good": "#2e7d32",
    "muted": "#7f8c9a",
    "a": "#7f8c9a",
    "b": "#1f4e79",
}
WIDTH = 720
_FONT = 'font-family="system-ui, sans-serif" font-size="11"'


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int | float  # magnitude that sets the length; never shown as such
    text: str  # what the reader sees beside the bar
    tone: str = "primary"


@dataclass(frozen=True, slots=True)
class BarGroup:
    heading: str  # empty: no heading row
    bars: Sequence[Bar]


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _svg(width: int, height: float, title: str, body: list[str]) -> Markup:
    """Drawn at its natural size (so text stays 11 px); CSS only ever shrinks it to fit."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{_n(height)}" viewBox="0 0 {width} {_n(height)}" role="img" '
        f'aria-label="{escape(title)}" {_FONT}><title>{escape(title)}</title>'
    )
    return Markup(head + "".join(body) + "</svg>")


def column_chart(bars: Sequence[Bar], title: str, height: int = 170) -> Markup:
    """Vertical columns left to right; every other label shown when they would crowd."""
    left, bottom, top = 36, 22, 14
    plot_h = height - bottom - top
    step = (WIDTH - left - 4) / max(len(bars), 1)
    peak = max((bar.value for bar in bars), default=0) or 1
    body = [_axis(left, top, plot_h, peak)]
    every = 1 if step >= 34 else 2
    for index, bar in enumerate(bars):
        h = plot_h * bar.value / peak
        x, y = left + index * step + 2, top + plot_h - h
        body.append(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(step - 4)}" height="{_n(h)}" '
            f'fill="{TONES[bar.tone]}"><title>{escape(bar.label)}: {escape(bar.text)}</title>'
            "</rect>"
        )
        if index % every == 0:
            body.append(
                f'<text x="{_n(x + (step - 4) / 2)}" y="{height - 6}" text-anchor="middle" '
                f'fill="#333">{escape(bar.label)}</text>'
            )
    return _svg(WIDTH, height, title, body)


def _axis(left: int, top: int, plot_h: float, peak: float) -> str:
    parts = []
    for share in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - share)
        value = peak * share
        label = f"{value:,.0f}" if value >= 10 or share == 0 else f"{value:,.1f}"
        parts.append(
            f'<line x1="{left}" y1="{_n(y)}" x2="{WIDTH - 2}" y2="{_n(y)}" stroke="#d8dde3"/>'
            f'<text x="{left - 4}" y="{_n(y + 4)}" text-anchor="end" fill="#555">{label}</text>'
        )
    return "".join(parts)


def bar_chart(
    groups: Sequence[BarGroup], title: str, label_w: int = 200, width: int = WIDTH
) -> Markup:
    """Horizontal bars with a label on the left and the caller's text on the right.

    Lengths are scaled within each group, so groups in different currencies never share
    a scale; each bar carries its own amount."""
    row_h, text_w = 20, 140
    bar_w = width - label_w - text_w
    body, y = [], 4.0
    for group in groups:
        if group.heading:
            body.append(
                f'<text x="0" y="{_n(y + 13)}" font-weight="600" fill="#111">'
                f"{escape(group.heading)}</text>"
            )
            y += row_h
        peak = max((abs(bar.value) for bar in group.bars), default=0) or 1
        for bar in group.bars:
            body.append(_bar_row(bar, y, label_w, bar_w, peak))
            y += row_h
    return _svg(width, y + 4, title, body)


def _bar_row(bar: Bar, y: float, label_w: int, bar_w: int, peak: float) -> str:
    length = max(bar_w * abs(bar.value) / peak, 1.0 if bar.value else 0.0)
    label = bar.label if len(bar.label) <= 32 else bar.label[:31] + "…"
    return (
        f'<text x="{label_w - 6}" y="{_n(y + 13)}" text-anchor="end" fill="#333">'
        f"{escape(label)}</text>"
        f'<rect x="{label_w}" y="{_n(y + 3)}" width="{_n(length)}" height="13" '
        f'fill="{TONES[bar.tone]}"><title>{escape(bar.label)}: {escape(bar.text)}</title></rect>'
        f'<text x="{_n(label_w + length + 6)}" y="{_n(y + 13)}" fill="#111">'
        f"{escape(bar.text)}</text>"
    )
