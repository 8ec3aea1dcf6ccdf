"""The raw purchase rows the fraud screen's store streams, as the pre-filter reads them.

Their shape is the SQL store's (`settlement.adapters.purchase_rows`); this name stays for
the pre-filter, which reads the tuples positionally before any is built into a
`StagedTransaction`.
"""

from settlement.adapters.purchase_rows import (
    AMOUNT,
    AT,
    COUNTRY,
    CURRENCY,
    DAY,
    FIELDS,
    ID,
    MCC,
    MODE,
    GroupTest,
    Narrowing,
    Raw,
    builder,
    time_parser,
)

__all__ = [
    "AMOUNT", "AT", "COUNTRY", "CURRENCY", "DAY", "FIELDS", "ID", "MCC", "MODE", "GroupTest",
    "Narrowing", "Raw", "builder", "time_parser",
]  # fmt: skip
