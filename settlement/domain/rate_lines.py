"""A rates.csv line (date, currency, units per EUR) and the band a new rate must fall in.

An operator's rate wins over the ECB's for its date, so a wrong one converts every
cross-currency transaction of the day: 1E+30 once crashed the end of day, and a misplaced
decimal point would pay merchants ten times over. A rate must therefore be a plain decimal
within absolute bounds, and within `max_jump_pct` of the latest earlier rate known for the
currency (imported before, in the same file, or published by the ECB), as `fx.pick_quote`
would choose it. A currency with no earlier rate has only the absolute bounds.

The band catches an operator's typo, not the ECB's own publication: a rate equal to the ECB
rate the project ships for the same date and currency (`published`) is that publication and
meets no band (the real history holds moves of 36 %, TRY on 2021-12-21). Any other rate, a
date after the shipped history, a value that differs from the shipped one (a tampered or
corrupted file) or an operator's own line, meets the band as before.

The same rules hold every rate whichever file it came in (`ecb_files` turns the ECB's CSV
and XML into these lines). One difference: the ECB's history goes back to 1999, and a
published rate older than the date window can never convert anything the run settles, so
it is skipped (`is_archived`) and counted, where an operator's line that old is rejected.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Final

from settlement.domain.file_lines import (
    LineReason,
    LineRejected,
    currency_code,
    preview,
    reject_pans,
    required,
)
from settlement.domain.fx import (
    EUR,
    SOURCE_IMPORTED,
    RateQuote,
    StoredHistory,
    pick_quote,
    rate_age_days,
    rate_text,
)
from settlement.domain.plausibility import TimeWindow

RATE_COLUMNS: Final = ("date", "currency", "units_per_eur")
# Units per EUR span about 0.3 (KWD) to about 1,000,000 (IRR at market); the bounds leave a
# wide margin on both sides and keep every conversion far inside 64-bit arithmetic.
MIN_UNITS_PER_EUR: Final = Decimal("0.0001")
MAX_UNITS_PER_EUR: Final = Decimal("10000000")
MAX_RATE_DECIMALS: Final = 12  # the ECB publishes at most 6 significant digits
# A rate more than 25% above or below the previous known one is refused: daily moves of
# traded currencies stay within a few percent, a devaluation is set on purpose (raise
# CARDSETTLE_RATE_MAX_JUMP_PCT for that import), and a slipped decimal point is 900%.
DEFAULT_MAX_JUMP_PCT: Final = 25
# A previous rate more than a year older anchors no band: the ECB quoted no ISK from
# 2008-12-10 until 2018, and a band around an eight-year-old rate says nothing about today's.
BAND_ANCHOR_MAX_AGE_DAYS: Final = 365
_RATE = re.compile(rf"[0-9]+(?:\.[0-9]{{1,{MAX_RATE_DECIMALS}}})?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
History = Sequence[tuple[date, Decimal]]


@dataclass(frozen=True, slots=True)
class RateRules:
    """What a rate line must satisfy beyond its shape; `window` None = any date."""

    max_jump_pct: int = DEFAULT_MAX_JUMP_PCT
    window: TimeWindow | None = None


@dataclass(frozen=True, slots=True)
class RateLine:
    rate_date: date
    currency: str
    units_per_eur: Decimal


def parse_rate_line(row: Mapping[str, str], received_at: datetime, rules: RateRules) -> RateLine:
    """One rates.csv line (values stripped); raises `LineRejected`."""
    reject_pans(row)
    day = _date(row, received_at, rules.window)
    currency = required(row, "currency")
    if currency == EUR:
        raise LineRejected(
            LineReason.BASE_CURRENCY, "EUR is the base of every rate (1 by definition)"
        )
    currency = currency_code(row, "currency")
    return RateLine(day, currency, _rate(required(row, "units_per_eur")))


def is_archived(row: Mapping[str, str], received_at: datetime, rules: RateRules) -> bool:
    """True when a published rate's date is well-formed and before the window: history
    to skip, not a line to judge. A date in the future or malformed is judged as usual."""
    value = row.get("date", "")
    if rules.window is None or not _DATE.fullmatch(value):
        return False
    try:
        start = datetime.combine(date.fromisoformat(value), time(), UTC)
    except ValueError:
        return False
    return start < received_at.replace(tzinfo=UTC) - rules.window.max_age


def _date(row: Mapping[str, str], received_at: datetime, window: TimeWindow | None) -> date:
    value = required(row, "date")
    try:
        day = date.fromisoformat(value) if _DATE.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None:
        raise LineRejected(LineReason.INVALID_FIELD, f"date {preview(value)} is not YYYY-MM-DD")
    start = datetime.combine(day, time(), UTC)
    if window is not None and window.implausibility(received_at, start) is not None:
        raise LineRejected(
            LineReason.IMPLAUSIBLE_TIME,
            f"date {value} is more than {window.max_age.days} days old or in the future",
        )
    return day


def _rate(value: str) -> Decimal:
    if not _RATE.fullmatch(value):
        raise LineRejected(
            LineReason.INVALID_RATE,
            f"units_per_eur {preview(value)} is not a plain decimal number (digits 0-9, one "
            f"point, at most {MAX_RATE_DECIMALS} decimals)",
        )
    rate = Decimal(value)
    if not MIN_UNITS_PER_EUR <= rate <= MAX_UNITS_PER_EUR:
        raise LineRejected(
            LineReason.OUT_OF_RANGE,
            f"units_per_eur {preview(value)} is not within {MIN_UNITS_PER_EUR}.."
            f"{MAX_UNITS_PER_EUR}",
        )
    return rate


def rate_jump(
    rate: Decimal, previous: RateQuote | None, max_jump_pct: int, rate_date: date | None = None
) -> str | None:
    """Why `rate` (of `rate_date`) is too far from `previous`, in one line; None when within
    the band, or when `previous` is more than `BAND_ANCHOR_MAX_AGE_DAYS` older. The band is
    symmetric in ratio: with 25%, from previous / 1.25 to previous * 1.25."""
    if previous is None:
        return None
    if rate_date is not None and rate_age_days(previous.rate_date, rate_date) > (
        BAND_ANCHOR_MAX_AGE_DAYS
    ):
        return None
    factor = 1 + Decimal(max_jump_pct) / 100  # exact: both sides stay within 28 digits
    if rate <= previous.units_per_eur * factor and previous.units_per_eur <= rate * factor:
        return None  # inside the band (the common case, decided without Fractions)
    ratio = Fraction(rate) / Fraction(previous.units_per_eur)
    change_pct = (ratio - 1) * 100
    exact = 1 + Fraction(max_jump_pct, 100)
    low, high = Fraction(previous.units_per_eur) / exact, Fraction(previous.units_per_eur) * exact
    return (
        f"{previous.currency} {rate} is {float(change_pct):+.1f}% from the last known rate "
        f"{previous.units_per_eur} ({previous.source}, {previous.rate_date}): outside its "
        f"{max_jump_pct}% band {rate_text(low)}..{rate_text(high)}"
    )


def band_problems(
    lines: Sequence[tuple[int, RateLine]],
    stored: Mapping[str, StoredHistory],
    published: Mapping[str, History],
    max_jump_pct: int,
    source: str = SOURCE_IMPORTED,
) -> list[tuple[int, LineRejected]]:
    """(line number, rejection) of every line outside the band of its previous known rate.
    The file's own lines (of `source`) count as stored ones: they replace a stored rate of
    their date."""
    merged = _with_file_lines(lines, stored, source)
    problems = []
    for number, line in lines:
        history = published.get(line.currency, ())
        if line.rate_date == date.min or is_published(line, history):
            continue
        previous = pick_quote(
            line.currency, line.rate_date - timedelta(days=1), merged[line.currency], history
        )
        problem = rate_jump(line.units_per_eur, previous, max_jump_pct, line.rate_date)
        if problem is not None:
            problems.append((number, LineRejected(LineReason.RATE_JUMP, problem)))
    return problems


def is_published(line: RateLine, published: History) -> bool:
    """True when `line` is the ECB's own rate: the shipped history (ascending) holds the
    same value for its date. Equal as numbers, so `1.1000` is `1.1`."""
    index = bisect.bisect_left(published, line.rate_date, key=lambda item: item[0])
    if index == len(published):
        return False
    day, rate = published[index]
    return day == line.rate_date and rate == line.units_per_eur


def _with_file_lines(
    lines: Sequence[tuple[int, RateLine]], stored: Mapping[str, StoredHistory], source: str
) -> dict[str, list[tuple[date, Decimal, str]]]:
    by_currency: dict[str, dict[date, tuple[date, Decimal, str]]] = {}
    for currency, history in stored.items():
        by_currency[currency] = {row[0]: row for row in history}
    for _, line in lines:
        row = (line.rate_date, line.units_per_eur, source)
        by_currency.setdefault(line.currency, {})[line.rate_date] = row
    return {currency: sorted(days.values()) for currency, days in by_currency.items()}
