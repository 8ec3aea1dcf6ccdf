"""A merchant's IBAN and BIC on import: normalised from print format, refused with a reason
for everything a bank could not use, never quoted when it may be a card number."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from schwifty import IBAN

from pos_simulator.countries import COUNTRIES
from pos_simulator.pools import build_pools
from settlement.domain.bank_accounts import BankAccount, BankAccountInvalid, bank_account
from settlement.domain.cards import holds_pan
from settlement.domain.file_lines import LineReason, LineRejected
from settlement.domain.merchant_lines import parse_merchant_line

GOOD = {
    "merchant_id": "M1", "name": "Shop", "mcc": "5411", "country": "NL", "city": "Amsterdam",
    "timezone": "Europe/Amsterdam", "settlement_currency": "EUR", "mdr_bps": "150",
    "fee_fixed": "0.10",
}  # fmt: skip


def test_print_format_and_lower_case_are_normalised() -> None:
    account = bank_account("nl91 abna 0417 1643 00", "abnanl2a")
    assert account == BankAccount("NL91ABNA0417164300", "ABNANL2A")
    assert account.in_sepa_zone


def test_both_columns_are_optional() -> None:
    assert bank_account("", "") is None
    record = parse_merchant_line(GOOD)  # an older merchants.csv: no iban, no bic column
    assert (record.iban, record.bic) == (None, None)
    assert bank_account("NL91ABNA0417164300", "") == BankAccount("NL91ABNA0417164300")


@pytest.mark.parametrize(
    ("iban", "bic", "why"),
    [
        ("NL91ABNA0417164301", "", "check digits are wrong"),
        ("NL91ABNA041716430", "", "not the length of a NL IBAN"),
        ("XX91ABNA0417164300", "", "XX is not a country with IBANs"),
        ("NL91ABNA\uff10417164300", "", "other than A-Z, 0-9"),  # a fullwidth zero
        ("NL91ABNA\u0660417164300", "", "other than A-Z, 0-9"),  # an Arabic-Indic zero
        ("NL91-ABNA-0417-1643-00", "", "other than A-Z, 0-9"),
        ("", "ABNANL2A", "bic without an iban"),
        ("NL91ABNA0417164300", "DEUTDEFF", "a bank in DE, the iban an account in NL"),
        ("NL91ABNA0417164300", "ABNANL2", "is not a BIC"),
        ("NL91ABNA0417164300" * 3, "", "at most"),
    ],
)
def test_what_a_bank_could_not_use_is_refused(iban: str, bic: str, why: str) -> None:
    with pytest.raises(BankAccountInvalid, match=why):
        bank_account(iban, bic)


def test_an_account_in_another_sepa_country_is_allowed() -> None:
    """A Dutch merchant paid into a German account (SEPA: no IBAN discrimination)."""
    record = parse_merchant_line({**GOOD, "iban": "DE89 3704 0044 0532 0130 00",
                                  "bic": "COBADEFFXXX"})  # fmt: skip
    assert (record.iban, record.bic) == ("DE89370400440532013000", "COBADEFFXXX")


def test_a_bic_of_a_territory_using_the_countrys_ibans_fits() -> None:
    assert bank_account("GB29NWBK60161331926819", "RBOSJESH").bic == "RBOSJESH"  # type: ignore[union-attr]


def test_a_card_number_in_the_iban_column_is_refused_masked() -> None:
    with pytest.raises(LineRejected) as refused:
        parse_merchant_line({**GOOD, "iban": "4111 1111 1111 1111"})
    assert refused.value.reason is LineReason.INVALID_FIELD
    assert "4111 1111 1111 1111" not in str(refused.value)
    assert "1111111111111111" not in str(refused.value).replace(" ", "")


def test_a_valid_iban_holding_a_luhn_run_is_an_iban_not_a_pan() -> None:
    rng = random.Random(5)
    iban = next(
        i
        for i in (str(IBAN.random(country_code="FI", random=rng)) for _ in range(500))
        if holds_pan(i)
    )
    assert parse_merchant_line({**GOOD, "iban": iban}).iban == iban


def test_a_card_number_in_the_bic_column_is_a_pan_in_the_wrong_field() -> None:
    with pytest.raises(LineRejected) as refused:
        parse_merchant_line({**GOOD, "iban": "NL91ABNA0417164300", "bic": "4111111111111111"})
    assert refused.value.reason is LineReason.PAN_IN_WRONG_FIELD


@given(st.text(max_size=50), st.text(max_size=14))
def test_any_text_is_an_account_or_a_reason(iban: str, bic: str) -> None:
    try:
        bank_account(iban, bic)
    except BankAccountInvalid:
        pass


def test_the_simulator_gives_each_iban_country_a_valid_account() -> None:
    pools = build_pools(7, 120, 200, COUNTRIES, 2026)
    merchants = list(zip(pools.merchants, pools.accounts, strict=True))
    with_account = [(m, iban, bic) for m, (iban, bic) in merchants if iban]
    assert {m.country_code for m, (iban, _) in merchants if not iban} <= {"US", "CA", "JP", "AU",
                                                                          "SG", "IN"}  # fmt: skip
    assert len(with_account) > 80
    for m, iban, bic in with_account:
        account = bank_account(iban, bic)
        assert account is not None and account.country == m.country_code
        assert not holds_pan(iban)
    assert build_pools(7, 120, 200, COUNTRIES, 2026).accounts == pools.accounts


def test_in_sepa_zone_asked_once_a_country_is_schwiftys_answer_for_every_iban() -> None:
    """The memo by country gives what schwifty says of each IBAN, in and out of SEPA."""
    from schwifty import registry  # noqa: PLC0415

    rng = random.Random(5)
    seen = {True: 0, False: 0}
    for country in sorted(registry.get_countries()):
        for _ in range(2):
            try:
                iban = IBAN.random(country_code=country, random=rng)
            except ValueError:  # no bank registry for the country
                break
            assert BankAccount(str(iban)).in_sepa_zone is bool(iban.in_sepa_zone), country
            seen[bool(iban.in_sepa_zone)] += 1
    assert seen[True] > 30 and seen[False] > 10
