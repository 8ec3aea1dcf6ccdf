"""`Money.format` for a stream of amounts: the text of each currency's amounts made by one
prepared function, for the CSV files' millions of cells.

`Money(minor, currency).format()` builds a value object, looks the exponent up and checks
the currency for every cell: at 1M transactions the report spent more CPU there than in
reading the rows (2.4 us a cell on a loaded 2-core machine, ~590,000 cells a 100,000-row
day). Here the exponent is looked up once per currency and the text is one `%` format of
`divmod`: the same digits, sign and decimals as `Money.format` (a property test holds the
two equal for every ISO 4217 exponent), integers only, no float anywhere.
"""

from __future__ import annotations

from collections.abc import Callable

from settlement.domain.currencies import minor_unit_exponent

AmountText = Callable[[int], str]


def amount_text_of(exponent: int) -> AmountText:
    """The text of an amount in minor units of a currency with `exponent` decimals."""
    if exponent == 0:
        return str  # "-5": Money.format of a currency without decimals
    template, scale = f"%d.%0{exponent}d", 10**exponent

    def text(minor: int) -> str:
        if minor >= 0:
            return template % divmod(minor, scale)  # type: ignore[no-any-return]
        return "-" + template % divmod(-minor, scale)  # type: ignore[no-any-return]

    return text


class AmountTexts(dict[str, AmountText]):
    """currency -> its `AmountText`, made on first use. An unknown code raises
    `UnknownCurrencyError`, as `Money` does."""

    def __missing__(self, currency: str) -> AmountText:
        made = self[currency] = amount_text_of(minor_unit_exponent(currency))
        return made


MEMO_AMOUNTS = 250_000  # distinct amounts a file remembers, across its currencies


class AmountMemo(dict[int, str]):
    """minor units -> text of one currency, each distinct amount made once: a 1M day's
    settlement.csv holds 3.9M amounts but ~110,000 distinct ones (fees and FX markups
    repeat, an identity line's converted amount is its original), so most cells are one
    dict lookup in C instead of a Python call (settlement rows 4.2 -> 2.0 us, measured on
    a copy of a 1M SQLite day). The text is `AmountText`'s, so the bytes are the same.
    `room` is the file's remaining budget, shared by its currencies' memos: past it, an
    amount's text is made each time, so a day of all-distinct amounts costs CPU, not memory."""

    __slots__ = ("_room", "_text")

    def __init__(self, text: AmountText, room: list[int]) -> None:
        super().__init__()
        self._text, self._room = text, room

    def __missing__(self, minor: int) -> str:
        made = self._text(minor)
        if self._room[0] > 0:
            self._room[0] -= 1
            self[minor] = made
        return made


class AmountMemos(dict[str, AmountMemo]):
    """currency -> its `AmountMemo`. Made for one file and dropped after it; together its
    memos hold at most `limit` amounts (~30 MB at the default), whatever the day holds. An
    unknown code raises `UnknownCurrencyError`."""

    __slots__ = ("_room", "_texts")

    def __init__(self, limit: int = MEMO_AMOUNTS) -> None:
        super().__init__()
        self._texts, self._room = AmountTexts(), [limit]

    def __missing__(self, currency: str) -> AmountMemo:
        made = self[currency] = AmountMemo(self._texts[currency], self._room)
        return made
