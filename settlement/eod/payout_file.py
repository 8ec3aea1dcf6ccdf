"""The payout file: one CSV line per merchant and settlement currency, amounts in major units.

The bank reads `payouts-<date>.csv`, so it is never half-written and never silently swapped:
it is written under a temporary name in the same directory and renamed over the target
(`os.replace`, atomic on one filesystem), and a file already there is replaced only by the
same date's `--rerun` (or rewritten from the same committed payouts). Another run's content
is a `PayoutFileConflict`, never an overwrite.
"""

from __future__ import annotations

import csv
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from settlement.adapters.eod_store import read_payouts
from settlement.csv_cells import spreadsheet_safe_row
from settlement.domain.money import Money
from settlement.errors import OutputNotWritable, PayoutFileConflict

if TYPE_CHECKING:
    from sqlalchemy import Engine

HEADER = (
    "business_date", "merchant_id", "currency", "purchases", "refunds", "fees", "fx_markup",
    "payout", "direction", "line_count",
)  # fmt: skip


def payout_file_path(day: date, directory: Path) -> Path:
    return directory / f"payouts-{day.isoformat()}.csv"


def prepare_directory(directory: Path, target: Path | None = None) -> None:
    """Create the reports directory and prove it writable, before a run claims its date: a
    run that committed and then could not write its file would leave the bank without it.
    The same for a `target` file that exists but is not a regular file (a directory of
    its name): it can never be replaced, and counted as there, it was never restored."""
    if target is not None and target.exists() and not target.is_file():
        raise OutputNotWritable(
            f"{target} is not a regular file; the payout file cannot be written there"
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=directory, prefix=".probe-")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise OutputNotWritable(
            f"reports directory {directory} (CARDSETTLE_REPORTS_DIR) is not writable:"
            f" {error.strerror or error}"
        ) from None


def restore_payout_file(engine: Engine, day: date, directory: Path) -> Path | None:
    """Write the payout file of a completed date if it is missing, as after a crash between
    the run's commit and the file's write; None when it is there already."""
    if payout_file_path(day, directory).exists():
        return None
    return write_payout_file(engine, day, directory)


def write_payout_file(engine: Engine, day: date, directory: Path, *, replace: bool = False) -> Path:
    """Write `payouts-<date>.csv` from the committed payouts. A file already there with other
    content is replaced only when `replace` (a --rerun, or a rewrite from the same database);
    otherwise it is kept and PayoutFileConflict raised."""
    directory.mkdir(parents=True, exist_ok=True)
    target = payout_file_path(day, directory)
    handle, name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".partial")
    partial = Path(name)
    try:
        with os.fdopen(handle, "w", newline="") as out:
            _write_rows(engine, day, out)
        if not replace and target.exists() and target.read_bytes() != partial.read_bytes():
            raise PayoutFileConflict(
                f"{target} already holds other payouts for {day} (another database's or"
                " run's); kept as it is. Move it away, or use --rerun to replace it"
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _write_rows(engine: Engine, day: date, out: TextIO) -> None:
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for row in read_payouts(engine, day):
        amounts = (
            row.purchases_minor, row.refunds_minor, row.fees_minor, row.fx_markup_minor,
            row.payout_minor,
        )  # fmt: skip
        text = [Money(int(a), row.currency).format() for a in amounts]
        cells = [day.isoformat(), row.merchant_id, row.currency, *text, row.direction,
                 row.line_count]  # fmt: skip
        writer.writerow(spreadsheet_safe_row(cells))
