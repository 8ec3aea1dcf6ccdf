"""Red team, issue 16: hostile merchants.csv accounts, hostile payouts in the pain.001 file,
short PANs in other fields, retired and odd currencies. Each test is an attack that once
worked (its fix is named) or one that must keep failing."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.adapters.pain001 import render
from settlement.domain.bank_accounts import BankAccount, BankAccountInvalid, bank_account
from settlement.domain.cards import card_bin, find_pans, luhn_valid, mask_pans
from settlement.domain.credit_transfer import (
    SEPA_MAX_AMOUNT_MINOR,
    Party,
    Transfer,
    end_to_end_id,
    payment_order,
    payout_transfer,
    transfer_of,
)
from settlement.domain.file_lines import LineReason, LineRejected
from settlement.domain.identifiers import SHORT_ID_PATTERN
from settlement.domain.merchant_lines import parse_merchant_line
from tests.support.pain001 import assert_valid, header, transactions

DAY = date(2026, 3, 11)
CUTOFF = datetime(2026, 3, 11, 21, 0)
DEBTOR = Party("Cardsettle Acquiring B.V.", BankAccount("NL91ABNA0417164300", "ABNANL2A"))
DE = BankAccount("DE89370400440532013000", "COBADEFFXXX")
VISA = "4111111111111111"
LINE = {
    "merchant_id": "M1", "name": "Shop", "mcc": "5411", "country": "DE", "city": "",
    "timezone": "Europe/Berlin", "settlement_currency": "EUR", "mdr_bps": "100",
    "fee_fixed": "0",
}  # fmt: skip


def _rejected(**columns: str) -> LineRejected:
    with pytest.raises(LineRejected) as caught:
        parse_merchant_line({**LINE, **columns})
    return caught.value


# --- merchants.csv iban / bic ----------------------------------------------------------------
@pytest.mark.parametrize(
    "iban",
    [
        "DE\uff18\uff19370400440532013000",  # fullwidth digits
        "DE\u0668\u0669370400440532013000",  # Arabic-Indic digits
        "\uff24\uff2589370400440532013000",  # fullwidth letters
        "DE89\u200b370400440532013000",  # zero-width space
        "DE89\t370400440532013000",
        "DE89\u00a0370400440532013000",  # no-break space
        "DE89370400440532013001",  # check digits wrong
        "DE89" + "0" * 500,
        "   ",
    ],
)
def test_a_hostile_iban_is_refused_with_one_line(iban: str) -> None:
    problem = _rejected(iban=iban)
    assert problem.reason is LineReason.INVALID_FIELD and "\n" not in str(problem)
    assert len(str(problem)) < 200


@pytest.mark.parametrize(
    "iban", [VISA, "4111 1111 1111 1111", "4111-1111-1111-1111", "DE" + VISA, VISA * 2]
)
def test_a_card_number_in_the_iban_column_is_never_echoed(iban: str) -> None:
    problem = _rejected(iban=iban)
    assert not find_pans(str(problem)) and "11111111" not in str(problem).replace(" ", "")


@pytest.mark.parametrize("separator", ["/", "_", "+", ",", ";", "|", "'", "\u00ad", "\u2060", "*"])
def test_a_card_number_in_the_iban_column_in_any_spelling_is_never_echoed(separator: str) -> None:
    """Fixed: the iban column is not scanned for card numbers, and its echo was masked by
    the PAN scanner, which does not read "4111/1111/1111/1111" as a PAN: echoed whole."""
    problem = str(_rejected(iban=separator.join([VISA[:4], VISA[4:8], VISA[8:12], VISA[12:]])))
    echoed = problem.rpartition("(")[2]
    assert len([char for char in echoed if char.isdigit()]) <= 8, problem


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff"])
@pytest.mark.parametrize("column", ["name", "city"])
def test_a_card_number_split_by_invisible_characters_is_found(invisible: str, column: str) -> None:
    """Fixed: a PAN with zero-width spaces (or word joiners, soft hyphens) between its
    groups, as a copy from a web page leaves it, was stored as a merchant's name, and
    `sepa_text` dropped the invisible characters: the bank file's creditor name was the PAN."""
    spelled = invisible.join([VISA[:4], VISA[4:8], VISA[8:12], VISA[12:]])
    problem = _rejected(**{column: f"Shop {spelled}"})
    assert problem.reason is LineReason.PAN_IN_WRONG_FIELD and VISA not in str(problem)
    assert find_pans(spelled) == [VISA] and VISA not in mask_pans(spelled).replace(invisible, "")


def test_a_card_number_in_the_bic_column_is_never_echoed() -> None:
    assert VISA not in str(_rejected(iban="DE89370400440532013000", bic=VISA))


@pytest.mark.parametrize(
    ("bic", "stored"),
    [
        ("COBADEFF", "COBADEFF"),
        ("cobadeffxxx", "COBADEFFXXX"),
        ("COBA DE FF", "COBADEFF"),
        ("DEUTDEFF500", "DEUTDEFF500"),
    ],
)
def test_a_bic_of_8_or_11_characters_is_kept_as_given(bic: str, stored: str) -> None:
    assert parse_merchant_line({**LINE, "iban": "DE89370400440532013000", "bic": bic}).bic == stored


@pytest.mark.parametrize("bic", ["COBADEFFX", "COBADEFFXX", "COBADEFFXXXX", "COBAFRFF", "COBA1EFF"])
def test_a_bic_of_the_wrong_shape_or_country_is_refused(bic: str) -> None:
    assert _rejected(iban="DE89370400440532013000", bic=bic).reason is LineReason.INVALID_FIELD


def test_a_bic_without_an_iban_is_refused() -> None:
    with pytest.raises(BankAccountInvalid, match="without an iban"):
        bank_account("", "COBADEFF")


# --- the pain.001 file -----------------------------------------------------------------------
HOSTILE_NAMES = [
    "<Shop> & ]]> \"quoted\"", "\x00\x07\x1b[2J\x7f", "\U0001f600\U0001f4b3",
    "\u05e9\u05dc\u05d5\u05dd",
    "\u202eevil\u202c", "x" * 500, "\u20ac\u20ac", "   ", "////", "\u6771\u4eac", "\ufeff\u200b",
]  # fmt: skip


def test_hostile_names_give_a_file_the_schema_accepts() -> None:
    transfers = [
        payout_transfer(DAY, f"M{i}", name, DE, 1 + i) for i, name in enumerate(HOSTILE_NAMES)
    ]
    order = payment_order(DAY, CUTOFF, DEBTOR, transfers)
    assert order is not None
    document = render(order)
    assert_valid(document)
    assert all(0 < len(name) <= 70 for _, name, _ in transactions(document).values())


@pytest.mark.parametrize(
    "digits",
    [
        "\u2463" + "\u2460" * 15,  # circled digits: not decimal digits to any PAN scan
        "\u2074" + "\u00b9" * 15,  # superscript
        "\U0001d7d2" + "\U0001d7cf" * 15,  # mathematical bold
        "4111\u200b1111\u200b1111\u200b1111",
    ],
)
def test_no_name_becomes_a_card_number_in_the_bank_file(digits: str) -> None:
    """Fixed: transliteration turned "Shop ④①①①..." (which no PAN scan reads as digits,
    so merchants.csv took it) into "Shop 4111111111111111" in the creditor name."""
    document = render(
        payment_order(DAY, CUTOFF, DEBTOR, [payout_transfer(DAY, "M1", f"Shop {digits}", DE, 1)])
        or pytest.fail("no order")
    )
    assert_valid(document)
    [(_, name, _)] = transactions(document).values()
    assert not find_pans(name) and "111111" not in name, name


def test_two_merchants_never_share_an_end_to_end_id() -> None:
    """Fixed: a merchant id that did not fit was replaced by `H` + 21 hex digits, which a
    merchant whose own id is `H` + those digits spelled too: two transactions, one id."""
    victim = "shop_1"  # '_' is not an id character: hashed
    lookalike = "H" + hashlib.sha256(victim.encode()).hexdigest()[:21]
    assert end_to_end_id(DAY, victim, "EUR") != end_to_end_id(DAY, lookalike, "EUR")


@given(
    st.from_regex(SHORT_ID_PATTERN, fullmatch=True), st.from_regex(SHORT_ID_PATTERN, fullmatch=True)
)
def test_distinct_merchant_ids_give_distinct_end_to_end_ids(first: str, second: str) -> None:
    if first != second:
        assert end_to_end_id(DAY, first, "EUR") != end_to_end_id(DAY, second, "EUR")


@pytest.mark.parametrize(
    ("due_minor", "transfer"),
    [
        (SEPA_MAX_AMOUNT_MINOR, Transfer.SEPA),
        (SEPA_MAX_AMOUNT_MINOR + 1, Transfer.ABOVE_SEPA_MAXIMUM),
        (10**13 - 1, Transfer.ABOVE_SEPA_MAXIMUM),  # the largest single message amount
        (0, Transfer.NOTHING_DUE),
        (-5, Transfer.NOTHING_DUE),
    ],
)
def test_an_amount_a_sepa_transfer_cannot_carry_stays_out_of_the_file(
    due_minor: int, transfer: Transfer
) -> None:
    """Fixed: a payout over 999,999,999.99 EUR went into the file, where (EPC AT-04) the
    bank rejects the whole file, every other merchant's payout with it."""
    assert transfer_of("EUR", due_minor, 0, DE) is transfer


def test_the_largest_sepa_amount_and_a_large_control_sum_are_valid() -> None:
    transfers = [
        payout_transfer(DAY, f"M{i}", "Shop", DE, SEPA_MAX_AMOUNT_MINOR) for i in range(50)
    ]
    order = payment_order(DAY, CUTOFF, DEBTOR, transfers)
    assert order is not None
    document = render(order)
    assert_valid(document)
    assert header(document, "p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum") == "49999999999.50"


def test_ten_thousand_merchants_sum_and_count_exactly() -> None:
    amounts = [1 + (i * 7919) % 100_000 for i in range(10_000)]
    transfers = [payout_transfer(DAY, f"M{i}", "Shop", DE, a) for i, a in enumerate(amounts)]
    order = payment_order(DAY, CUTOFF, DEBTOR, transfers)
    assert order is not None
    document = render(order)
    total = sum(amounts)
    assert header(document, "p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs") == "10000"
    assert (
        header(document, "p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum")
        == f"{total // 100}.{total % 100:02d}"
    )
    assert document == render(payment_order(DAY, CUTOFF, DEBTOR, reversed(transfers)))  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", [0, -1])
def test_no_transfer_of_nothing_or_less(amount: int) -> None:
    with pytest.raises(ValueError):
        payout_transfer(DAY, "M1", "Shop", DE, amount)


# --- short PANs in other fields, BIN ------------------------------------------------------------
def _maestro12() -> str:
    return next(p for d in "0123456789" if luhn_valid(p := "50181234567" + d))


@pytest.mark.parametrize(
    "spelled",
    [
        "{0}", "{0:.4} {1} {2}", "{0:.4}-{1}-{2}", "ref {0:.4}.{1}.{2} end", "x{0}y", "id_{0}",
        "{ar}", "{fw}",
    ],
)  # fmt: skip
def test_a_12_digit_maestro_is_found_in_any_spelling(spelled: str) -> None:
    pan = _maestro12()
    text = spelled.format(
        pan, pan[4:8], pan[8:],
        ar="".join(chr(0x660 + int(d)) for d in pan), fw="".join(chr(0xFF10 + int(d)) for d in pan),
    )  # fmt: skip
    assert find_pans(text) == [pan]
    assert not find_pans(mask_pans(text).replace("*", "0"))


@pytest.mark.parametrize("length", range(12, 20))
def test_bin_and_last_four_leave_at_least_four_digits_hidden(length: int) -> None:
    assert length - len(card_bin("4" * length)) - 4 >= 4


# --- currencies -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("BGN", LineReason.RETIRED_CURRENCY), ("bgn", LineReason.UNKNOWN_CURRENCY),
        ("XAU", LineReason.UNKNOWN_CURRENCY), ("XXX", LineReason.UNKNOWN_CURRENCY),
    ],
)  # fmt: skip
def test_a_settlement_currency_without_minor_unit_or_retired_is_refused(
    code: str, reason: LineReason
) -> None:
    assert _rejected(settlement_currency=code).reason is reason


def test_xad_is_a_settlement_currency() -> None:
    assert parse_merchant_line({**LINE, "settlement_currency": "XAD"}).settlement_currency == "XAD"


ACCOUNT_TEXT = st.one_of(
    st.text(max_size=50),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789 ", max_size=40),
    st.from_regex(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}", fullmatch=True),
    st.from_regex(r"[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?", fullmatch=True),
)


@given(ACCOUNT_TEXT, st.one_of(st.just(""), ACCOUNT_TEXT))
def test_any_account_text_is_an_account_or_one_line_refusal(iban: str, bic: str) -> None:
    try:
        account = bank_account(iban.strip(), bic.strip())
    except BankAccountInvalid as problem:
        assert "\n" not in str(problem) and len(str(problem)) < 200
        return
    if account is not None:
        assert account.iban.isalnum() and account.iban.isupper() and len(account.iban) <= 34
        assert account.in_sepa_zone in (True, False)
