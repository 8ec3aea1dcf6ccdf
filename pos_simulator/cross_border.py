"""Cross-border acquiring: which merchants settle in a currency other than their sales'.

An acquirer in Amsterdam boards merchants from across Europe and beyond; many of those
outside the euro area hold a euro account and are paid in euros (a Swiss shop selling in
CHF, a Polish web shop selling in PLN), and a few euro-area merchants whose costs are in
dollars are paid in USD. Without them every generated sale settles in its own currency at
rate 1, and the end of day's currency conversion is never seen.

The pairs (sales currency -> settlement currency) and why each is realistic:
- GBP, CHF, SEK, NOK, DKK, PLN, CZK, HUF -> EUR: European merchants trading with the euro
  area, paid into a euro account (DKK is pegged to the euro in ERM II; PLN, CZK and HUF
  merchants commonly invoice their suppliers in euros);
- USD -> EUR: US merchants of European groups, paid into the group's euro treasury;
- EUR -> USD: euro-area merchants with dollar costs (travel, electronics), a few of them.
Every currency here is in the ECB's daily reference set, so the end of day finds a rate.
Other merchants (CAD, JPY, AUD, SGD, INR, KWD) settle in their own currency.

The choice uses its own random stream (`settlement-currency:<seed>`), so changing the share
changes merchants.csv's settlement_currency column and fees, and nothing else of the day.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Final

EUROPE_TO_EUR: Final = ("GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "USD")
SETTLES_IN: Final[dict[str, str]] = {currency: "EUR" for currency in EUROPE_TO_EUR} | {"EUR": "USD"}
EURO_TO_USD_PART: Final = 0.2  # of the cross-currency merchants, at most this part euro-area
DEFAULT_SHARE: Final = 0.2


def settlement_currencies(seed: int, sales_currencies: Sequence[str], share: float) -> list[str]:
    """Each merchant's settlement currency, given its sales currency, in the same order.

    round(share x merchants) of them settle elsewhere: euro-area ones (to USD) up to
    EURO_TO_USD_PART of that, the rest from the other pairs, topped up from either side
    when one runs short."""
    rng = random.Random(f"settlement-currency:{seed}")
    wanted = round(share * len(sales_currencies))
    euro = [i for i, c in enumerate(sales_currencies) if c == "EUR"]
    other = [i for i, c in enumerate(sales_currencies) if c != "EUR" and c in SETTLES_IN]
    rng.shuffle(euro)
    rng.shuffle(other)
    from_euro = min(len(euro), int(wanted * EURO_TO_USD_PART))
    from_other = min(len(other), wanted - from_euro)
    from_euro = min(len(euro), wanted - from_other)
    chosen = set(euro[:from_euro]) | set(other[:from_other])
    return [
        SETTLES_IN[currency] if i in chosen else currency
        for i, currency in enumerate(sales_currencies)
    ]
