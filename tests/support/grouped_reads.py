"""The report's page counts as GROUP BY queries: the reads the page used before its counts
were tallied from the CSV files' chunks (`settlement.reports.tallies`). Kept here, not in
the read model, as the oracle the tallies are tested against on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import Connection, and_, func, select

from settlement.adapters.eod_tables import fx_conversions, reconciliation_items, settlement_lines
from settlement.domain.recon_classes import Outcome

ri, sl, fx = reconciliation_items, settlement_lines, fx_conversions
STAGED = ri.c.staged_amount_minor.is_not(None)  # journal-only items hold no staged money


class FxUse(NamedTuple):
    """A rate of the run and the settlement lines converted through it."""

    from_currency: str
    to_currency: str
    rate: str
    minor_numerator: int
    minor_denominator: int
    rate_date: date
    source: str
    line_count: int
    original_minor: int
    converted_minor: int


def staged_by_type(conn: Connection, day: date) -> dict[str, int]:
    """Staged items per transaction type (types with none are absent)."""
    query = (
        select(ri.c.transaction_type, func.count())
        .where(ri.c.run_date == day, STAGED)
        .group_by(ri.c.transaction_type)
    )
    return {str(kind): int(count) for kind, count in conn.execute(query)}


def staged_by_currency(conn: Connection, day: date) -> list[tuple[str, int, int]]:
    """(currency, staged items, staged minor units) per transaction currency."""
    query = select(ri.c.currency, func.count(), func.sum(ri.c.staged_amount_minor)).where(
        ri.c.run_date == day, STAGED
    )
    rows = conn.execute(query.group_by(ri.c.currency))
    return [(str(c), int(n), int(total)) for c, n, total in rows]


def unsettled_by_currency(conn: Connection, day: date) -> list[tuple[str, str, int]]:
    """(currency, outcome, staged minor units) of the staged items not settled."""
    query = select(ri.c.currency, ri.c.outcome, func.sum(ri.c.staged_amount_minor)).where(
        ri.c.run_date == day, STAGED, ri.c.outcome != Outcome.SETTLED.value
    )
    rows = conn.execute(query.group_by(ri.c.currency, ri.c.outcome))
    return [(str(c), str(outcome), int(total)) for c, outcome, total in rows]


def class_counts(conn: Connection, day: date) -> list[tuple[str, str, int]]:
    """(recon class, outcome, items) of the date, by class then outcome in code-point order."""
    query = select(ri.c.recon_class, ri.c.outcome, func.count()).where(ri.c.run_date == day)
    rows = conn.execute(query.group_by(ri.c.recon_class, ri.c.outcome))
    return sorted((str(c), str(o), int(n)) for c, o, n in rows)


def fx_uses(conn: Connection, day: date) -> list[FxUse]:
    """Every rate of the run with the lines converted through it (none: zero counts)."""
    lines = (
        select(sl.c.original_currency.label("src"), sl.c.settlement_currency.label("dst"),
               func.count().label("n"), func.sum(sl.c.original_amount_minor).label("orig"),
               func.sum(sl.c.converted_amount_minor).label("conv"))
        .where(sl.c.run_date == day)
        .group_by(sl.c.original_currency, sl.c.settlement_currency)
        .subquery()
    )  # fmt: skip
    query = (
        select(fx.c.from_currency, fx.c.to_currency, fx.c.rate, fx.c.minor_numerator,
               fx.c.minor_denominator, fx.c.rate_date, fx.c.source, lines.c.n,
               lines.c.orig, lines.c.conv)
        .select_from(fx.outerjoin(
            lines, and_(lines.c.src == fx.c.from_currency, lines.c.dst == fx.c.to_currency)
        ))
        .where(fx.c.run_date == day)
        .order_by(fx.c.from_currency, fx.c.to_currency)
    )  # fmt: skip
    return [
        FxUse(r.from_currency, r.to_currency, r.rate, int(r.minor_numerator),
              int(r.minor_denominator), r.rate_date, r.source, int(r.n or 0),
              int(r.orig or 0), int(r.conv or 0))
        for r in conn.execute(query)
    ]  # fmt: skip
