"""The payout files: one CSV line per merchant and settlement currency, amounts in major
units, with how each payout leaves (`transfer`); and the SEPA credit transfer file of the
euro payouts (`bank_file`).

The bank reads them, so they are never half-written and never silently swapped:
it is written under a temporary name in the same directory and renamed over the target
(`os.replace`, atomic on one filesystem), and a file already there is replaced only by the
same date's `--rerun` (or rewritten from the same committed payouts, byte for byte: both
files are derived from the committed rows and the business date alone). Another run's
content is a `PayoutFileConflict`, never an overwrite.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from settlement.adapters.pain001 import render_chunks
from settlement.csv_cells import spreadsheet_safe_row
from settlement.domain.money import Money
from settlement.eod.bank_file import (
    BankFileTerms,
    PayoutStatement,
    bank_file_path,
    bank_order,
    payment_order_of,
    payout_statements,
)
from settlement.errors import OutputNotWritable, PayoutFileConflict

if TYPE_CHECKING:
    from sqlalchemy import Engine

HEADER = (
    "business_date", "merchant_id", "currency", "purchases", "refunds", "fees", "fx_markup",
    "payout", "direction", "line_count", "carried_in", "carried_out", "amount_due", "transfer",
)  # fmt: skip


def payout_file_path(day: date, directory: Path) -> Path:
    return directory / f"payouts-{day.isoformat()}.csv"


def prepare_directory(directory: Path, *targets: Path) -> None:
    """Create the reports directory and prove it writable, before a run claims its date: a
    run that committed and then could not write its file would leave the bank without it.
    The same for a `targets` file (the CSV, the bank file) that exists but is not a regular
    file (a directory of its name): it can never be replaced, and counted as there, it was
    never restored."""
    for target in targets:
        if target.exists() and not target.is_file():
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


def restore_payout_file(
    engine: Engine, day: date, directory: Path, bank: BankFileTerms | None = None
) -> Path | None:
    """Write the payout files of a completed date if one is missing, as after a crash
    between the run's commit and the files' write; None when they are there already."""
    csv_there = payout_file_path(day, directory).exists()
    if csv_there and (bank is None or bank_file_path(day, directory).exists()):
        return None
    if csv_there and bank is not None and bank_order(engine, day, bank) is None:
        return None  # a date without euro transfers has no bank file
    return write_payout_file(engine, day, directory, bank=bank)


def write_payout_file(
    engine: Engine,
    day: date,
    directory: Path,
    *,
    replace: bool = False,
    bank: BankFileTerms | None = None,
) -> Path:
    """Write `payouts-<date>.csv` from the committed payouts, and with `bank` the day's SEPA
    credit transfer file beside it (docs/payouts.md). A file already there with other
    content is replaced only when `replace` (a --rerun, or a rewrite from the same
    database); otherwise it is kept and PayoutFileConflict raised."""
    directory.mkdir(parents=True, exist_ok=True)
    statements = payout_statements(engine, day)
    out = io.StringIO(newline="")
    _write_rows(day, statements, out)
    target = payout_file_path(day, directory)
    publish(target, [out.getvalue().encode()], replace=replace, what="payouts")
    if bank is not None:
        order = payment_order_of(day, statements, bank)
        del statements, out  # the order holds what the bank file needs (1M day: ~25 MiB)
        content = None if order is None else render_chunks(order)
        publish(bank_file_path(day, directory), content, replace=replace, what="transfers")
    return target


def publish(target: Path, content: Iterable[bytes] | None, *, replace: bool, what: str) -> None:
    """`content`'s chunks at `target`, atomically (temporary file, then rename); None: no
    file. Written before it is compared with a file already there, so that the content
    is never whole in memory (the bank file of a 1M day is 24 MB)."""
    if content is None:
        if target.exists() and not replace:
            raise PayoutFileConflict(
                f"{target} holds {what} although the committed run has none; kept as it"
                " is. Move it away, or use --rerun to remove it"
            )
        target.unlink(missing_ok=True)
        return
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    partial = Path(name)
    try:
        with os.fdopen(handle, "wb") as written:
            written.writelines(content)
        if not replace and target.exists() and not _same_bytes(partial, target):
            raise PayoutFileConflict(
                f"{target} already holds other {what} for its date (another database's or"
                " run's); kept as it is. Move it away, or use --rerun to replace it"
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _same_bytes(written: Path, there: Path) -> bool:
    """The two files hold the same bytes, read a MiB at a time."""
    if written.stat().st_size != there.stat().st_size:
        return False
    with written.open("rb") as ours, there.open("rb") as theirs:
        while True:
            mine, other = ours.read(1 << 20), theirs.read(1 << 20)
            if mine != other:
                return False
            if not mine:
                return True


def _write_rows(day: date, statements: list[PayoutStatement], out: TextIO) -> None:
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for s in statements:
        amounts = (
            s.purchases_minor, s.refunds_minor, s.fees_minor, s.fx_markup_minor, s.payout_minor,
        )  # fmt: skip
        text = [Money(int(a), s.currency).format() for a in amounts]
        carry = [Money(int(a), s.currency).format() for a in s.carry_minor]
        cells = [day.isoformat(), s.merchant_id, s.currency, *text, s.direction, s.line_count,
                 *carry, s.transfer]  # fmt: skip
        writer.writerow(spreadsheet_safe_row(cells))
