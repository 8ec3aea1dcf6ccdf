"""merchants.csv with and without the iban and bic columns, stored on both backends."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from settlement.adapters.imports import import_merchants
from settlement.adapters.tables import merchants
from tests.support.staging_builder import MERCHANTS_HEADER, merchant_line, migrated_database


def _accounts(engine: Engine) -> dict[str, tuple[str | None, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(select(merchants.c.merchant_id, merchants.c.iban, merchants.c.bic))
        return {m: (i, b) for m, i, b in rows}


def test_accounts_are_stored_normalised_and_optional(db_url: str, tmp_path: Path) -> None:
    with migrated_database(db_url, tmp_path) as (engine, _):
        report = import_merchants(engine, [
            f"{MERCHANTS_HEADER},iban,bic",
            f"{merchant_line('M1', 'EUR', 150, '0.10')},nl91 abna 0417 1643 00,abnanl2a",
            f"{merchant_line('M2', 'EUR', 150, '0.10')},DE89370400440532013000,",
            f"{merchant_line('M3', 'USD', 150, '0.10')},,",
        ])  # fmt: skip
        assert (report.written, report.rejected) == (3, 0), report.errors
        assert _accounts(engine) == {
            "M1": ("NL91ABNA0417164300", "ABNANL2A"),
            "M2": ("DE89370400440532013000", None),
            "M3": (None, None),
        }
        older = import_merchants(engine, [MERCHANTS_HEADER, merchant_line("M4", "EUR", 1, "0")])
        assert older.written == 1 and _accounts(engine)["M4"] == (None, None)


def test_a_bad_iban_writes_nothing(db_url: str, tmp_path: Path) -> None:
    with migrated_database(db_url, tmp_path) as (engine, _):
        report = import_merchants(engine, [
            f"{MERCHANTS_HEADER},iban,bic",
            f"{merchant_line('M1', 'EUR', 150, '0.10')},NL91ABNA0417164300,ABNANL2A",
            f"{merchant_line('M2', 'EUR', 150, '0.10')},NL91ABNA0417164301,",
        ])  # fmt: skip
        assert report.rejected == 1 and report.written == 0
        assert "line 3: invalid_field: iban check digits are wrong" in report.errors[0]
        assert _accounts(engine) == {}


def test_the_same_bad_account_is_refused_on_every_line(db_url: str, tmp_path: Path) -> None:
    """A chain's account is checked once and remembered, but a refusal is not remembered as
    an account: each line naming it is rejected."""
    with migrated_database(db_url, tmp_path) as (engine, _):
        report = import_merchants(engine, [
            f"{MERCHANTS_HEADER},iban,bic",
            f"{merchant_line('M1', 'EUR', 150, '0.10')},NL91ABNA0417164301,",
            f"{merchant_line('M2', 'EUR', 150, '0.10')},NL91ABNA0417164300,ABNANL2A",
            f"{merchant_line('M3', 'EUR', 150, '0.10')},NL91ABNA0417164301,",
        ])  # fmt: skip
        assert (report.rejected, report.written) == (2, 0)
        assert [error[:7] for error in report.errors] == ["line 2:", "line 4:"]
