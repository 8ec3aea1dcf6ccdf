"""The SEPA credit transfer order: which payouts it sends, its ids, its text, its calendar,
and its XML held to the official pain.001.001.09 schema, hostile names included."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.adapters.pain001 import render
from settlement.domain.bank_accounts import BankAccount
from settlement.domain.calendar import is_target_business_day, next_target_business_day
from settlement.domain.credit_transfer import (
    ID_MAX_CHARS,
    Party,
    Transfer,
    end_to_end_id,
    payment_order,
    payout_transfer,
    sepa_text,
    transfer_of,
)
from settlement.domain.identifiers import SHORT_ID_PATTERN
from tests.support.pain001 import assert_valid, header, transactions

DAY = date(2026, 3, 11)
CUTOFF = datetime(2026, 3, 11, 21, 0)
DEBTOR = Party("Cardsettle Acquiring B.V.", BankAccount("NL91ABNA0417164300", "ABNANL2A"))
DE = BankAccount("DE89370400440532013000", "COBADEFFXXX")
SEPA_SET = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Bäckerei Müller & Söhne", "Backerei Muller + Sohne"),
        ("Straße", "Strasse"),
        ("<b>Shop</b>; DROP TABLE", "b Shop /b DROP TABLE"),
        ("Ca\x1b[2Jfé\x00\u202e", "Ca 2Jfe"),
        ("Ørsted Æble Œuvre", "Orsted Aeble Oeuvre"),
    ],
)
def test_names_are_cut_to_the_sepa_character_set(name: str, expected: str) -> None:
    assert sepa_text(name, 70) == expected


@given(st.text(max_size=300))
def test_any_text_becomes_sepa_text_within_its_length(text: str) -> None:
    cut = sepa_text(text, 70)
    assert set(cut) <= SEPA_SET and len(cut) <= 70 and cut == cut.strip()


@given(st.from_regex(SHORT_ID_PATTERN, fullmatch=True), st.sampled_from(["EUR", "USD"]))
def test_the_end_to_end_id_is_stable_unique_and_fits(merchant_id: str, currency: str) -> None:
    identity = end_to_end_id(DAY, merchant_id, currency)
    assert identity == end_to_end_id(DAY, merchant_id, currency)
    assert len(identity) <= ID_MAX_CHARS and set(identity) <= SEPA_SET - {" "}
    assert not identity.startswith("/") and "//" not in identity
    assert identity != end_to_end_id(date(2026, 3, 12), merchant_id, currency)
    assert identity != end_to_end_id(DAY, merchant_id + "x", currency)


def test_a_long_merchant_id_is_hashed_not_cut() -> None:
    first, second = "M" + "1" * 31, "M" + "1" * 30 + "2"
    assert end_to_end_id(DAY, first, "EUR") != end_to_end_id(DAY, second, "EUR")
    assert end_to_end_id(DAY, "M0000001", "EUR") == "20260311-EUR-M0000001"


@pytest.mark.parametrize(
    ("currency", "due", "carried_out", "account", "expected"),
    [
        ("EUR", 100, 0, DE, Transfer.SEPA),
        ("EUR", 0, 50, DE, Transfer.CARRIED_FORWARD),
        ("EUR", 0, 0, DE, Transfer.NOTHING_DUE),
        ("USD", 100, 0, DE, Transfer.NOT_SEPA_CURRENCY),
        ("EUR", 100, 0, None, Transfer.NO_BANK_ACCOUNT),
        ("EUR", 100, 0, BankAccount("KW81CBKU0000000000001234560101"), Transfer.NOT_SEPA_ACCOUNT),
        ("EUR", 100, 0, BankAccount("CH9300762011623852957"), Transfer.SEPA),
    ],
)
def test_how_a_payout_leaves(
    currency: str, due: int, carried_out: int, account: BankAccount | None, expected: Transfer
) -> None:
    assert transfer_of(currency, due, carried_out, account) is expected


@pytest.mark.parametrize(
    ("day", "executed"),
    [
        (date(2026, 3, 11), date(2026, 3, 12)),  # Wednesday -> Thursday
        (date(2026, 3, 13), date(2026, 3, 16)),  # Friday -> Monday
        (date(2026, 4, 2), date(2026, 4, 7)),  # Maundy Thursday -> past Good Friday, Easter
        (date(2026, 12, 24), date(2026, 12, 28)),  # Christmas Eve -> past 25, 26, Sunday
        (date(2026, 4, 30), date(2026, 5, 4)),  # past 1 May (a Friday) and the weekend
        (date(2025, 12, 31), date(2026, 1, 2)),
    ],
)
def test_the_order_executes_on_the_next_target_business_day(day: date, executed: date) -> None:
    assert next_target_business_day(day) == executed
    assert not is_target_business_day(date(2027, 3, 26))  # Good Friday 2027
    assert not is_target_business_day(date(2027, 3, 29))  # Easter Monday 2027


def _order(names: list[str]) -> bytes:
    transfers = [
        payout_transfer(DAY, f"M{i}", name, DE, 100 * i + 1) for i, name in enumerate(names, 1)
    ]
    order = payment_order(DAY, CUTOFF, DEBTOR, transfers)
    assert order is not None
    return render(order)


def test_the_document_is_valid_and_sums_its_transactions() -> None:
    document = _order(["Bäckerei & Co", "x" * 200, "<&>\"'", "\x07"])
    assert_valid(document)
    sent = transactions(document)
    assert len(sent) == 4
    assert sent["20260311-EUR-M1"][1] == "Backerei + Co"
    assert sent["20260311-EUR-M2"][1] == "x" * 70
    assert sent["20260311-EUR-M4"][1] == "M4"  # nothing of the name is left: its id
    total = sum(amount for amount, _, _ in sent.values())
    for block in ("p:CstmrCdtTrfInitn/p:GrpHdr", "p:CstmrCdtTrfInitn/p:PmtInf"):
        assert header(document, f"{block}/p:NbOfTxs") == "4"
        assert header(document, f"{block}/p:CtrlSum") == f"{total:.2f}"
    assert header(document, "p:CstmrCdtTrfInitn/p:GrpHdr/p:CreDtTm") == "2026-03-11T21:00:00Z"
    assert header(document, "p:CstmrCdtTrfInitn/p:PmtInf/p:ReqdExctnDt/p:Dt") == "2026-03-12"


@given(st.lists(st.text(max_size=250), min_size=1, max_size=4))
def test_any_merchant_names_give_a_valid_document(names: list[str]) -> None:
    assert_valid(_order(names))


def test_the_same_payouts_give_the_same_bytes_and_other_payouts_another_id() -> None:
    assert _order(["A", "B"]) == _order(["A", "B"])
    first, changed = _order(["A", "B"]), _order(["A", "C"])
    msg = "p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId"
    assert header(first, msg) != header(changed, msg) and len(header(first, msg)) <= 35


def test_a_debtor_without_bic_and_a_creditor_without_bic_are_valid() -> None:
    debtor = Party("Acquirer", BankAccount("NL91ABNA0417164300"))
    transfer = payout_transfer(DAY, "M1", "Shop", BankAccount("DE89370400440532013000"), 5)
    order = payment_order(DAY, CUTOFF, debtor, [transfer])
    assert order is not None
    document = render(order)
    assert_valid(document)
    assert b"NOTPROVIDED" in document and b"CdtrAgt" not in document


def test_nothing_to_send_is_no_order() -> None:
    assert payment_order(DAY, CUTOFF, DEBTOR, []) is None
    with pytest.raises(ValueError, match="credit transfer of 0"):
        payout_transfer(DAY, "M1", "Shop", DE, 0)
