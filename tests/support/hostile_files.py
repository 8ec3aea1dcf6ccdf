"""A corpus of hostile input files: each bad line or file with the outcome it must get.

Every hostile line is a good line with some fields replaced, so the one change is what gets
it rejected. The expected reason is the code the import prints (`line N: <reason>: ...`).
`secret` is text that must never appear in any output (a card number). Used by the import
tests on both backends and by the CLI tests that run the commands as subprocesses.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta

PAN = "4111111111111111"  # Luhn-valid test Visa
PAN_GROUPED = "4111 1111 1111 1111"
PAN_ARABIC = "".join(chr(0x0660 + int(d)) for d in PAN)  # the same PAN in Arabic-Indic digits
LAST4 = PAN[-4:]

MERCHANT_COLUMNS = (
    "merchant_id", "name", "mcc", "country", "city", "timezone", "settlement_currency",
    "mdr_bps", "fee_fixed",
)  # fmt: skip
JOURNAL_COLUMNS = (
    "transaction_id", "terminal_id", "merchant_id", "type", "amount", "currency", "local_time",
    "pan_last4", "original_transaction_id",
)  # fmt: skip
RATE_COLUMNS = ("date", "currency", "units_per_eur")

GOOD_MERCHANT = {
    "merchant_id": "M1", "name": "Shop M1", "mcc": "5411", "country": "NL",
    "city": "Amsterdam", "timezone": "Europe/Amsterdam", "settlement_currency": "EUR",
    "mdr_bps": "150", "fee_fixed": "0.10",
}  # fmt: skip
# The ECB published USD 1.1641 on 2026-03-10: the rate below is within any sane band of it.
RATE_DAY = "2026-03-11"
GOOD_RATE = {"date": RATE_DAY, "currency": "USD", "units_per_eur": "1.1650"}


def csv_line(columns: tuple[str, ...], values: dict[str, str]) -> str:
    """One CSV line (no line end) of `values` in `columns` order, quoted as csv quotes."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([values[name] for name in columns])
    return buffer.getvalue().removesuffix("\n")


@dataclass(frozen=True)
class HostileLine:
    name: str
    changes: dict[str, str]
    reason: str
    secret: str | None = None

    def line(self, columns: tuple[str, ...], good: dict[str, str]) -> str:
        return csv_line(columns, {**good, **self.changes})


MERCHANT_LINES = (
    HostileLine("empty_id", {"merchant_id": ""}, "missing_field"),
    HostileLine("id_with_spaces", {"merchant_id": "M 1"}, "invalid_field"),
    HostileLine("id_too_long", {"merchant_id": "M" * 33}, "invalid_field"),
    HostileLine("id_is_a_pan", {"merchant_id": PAN}, "pan_in_wrong_field", PAN),
    HostileLine("empty_name", {"name": ""}, "missing_field"),
    HostileLine("name_too_long", {"name": "N" * 201}, "invalid_field"),
    HostileLine("name_with_escape", {"name": "Shop\x1b[31m"}, "invalid_field"),
    HostileLine("name_with_newline", {"name": "Shop\nM1"}, "invalid_field"),
    HostileLine("name_holds_pan", {"name": f"Shop {PAN_GROUPED}"}, "pan_in_wrong_field", PAN),
    HostileLine("city_holds_arabic_pan", {"city": PAN_ARABIC}, "pan_in_wrong_field", PAN_ARABIC),
    HostileLine("mcc_with_letter", {"mcc": "54x1"}, "invalid_field"),
    HostileLine("mcc_arabic_digits", {"mcc": "\u0665\u0664\u0661\u0661"}, "invalid_field"),
    HostileLine("mcc_unassigned", {"mcc": "0000"}, "unknown_mcc"),
    HostileLine("country_unassigned", {"country": "ZZ"}, "unknown_country"),
    HostileLine("country_lower_case", {"country": "nl"}, "invalid_field"),
    HostileLine("timezone_invented", {"timezone": "Mars/Olympus"}, "unknown_timezone"),
    HostileLine("timezone_path", {"timezone": "../../etc/passwd"}, "unknown_timezone"),
    HostileLine("timezone_empty", {"timezone": ""}, "missing_field"),
    HostileLine("currency_unknown", {"settlement_currency": "XXX"}, "unknown_currency"),
    HostileLine("currency_lower_case", {"settlement_currency": "eur"}, "unknown_currency"),
    HostileLine("currency_retired", {"settlement_currency": "BGN"}, "retired_currency"),
    HostileLine("mdr_negative", {"mdr_bps": "-1"}, "invalid_field"),
    HostileLine("mdr_above_bound", {"mdr_bps": "1001"}, "out_of_range"),
    HostileLine("mdr_twenty_digits", {"mdr_bps": "9" * 20}, "out_of_range"),
    HostileLine("mdr_arabic_digits", {"mdr_bps": "\u0661\u0665\u0660"}, "invalid_field"),
    HostileLine("mdr_exponent", {"mdr_bps": "1e2"}, "invalid_field"),
    HostileLine("fee_twenty_digits", {"fee_fixed": "9" * 20}, "out_of_range"),
    HostileLine("fee_negative", {"fee_fixed": "-0.10"}, "invalid_amount"),
    HostileLine("fee_too_many_decimals", {"fee_fixed": "0.105"}, "too_many_decimals"),
    HostileLine("fee_arabic_digits", {"fee_fixed": "\u0660.\u0661\u0660"}, "invalid_amount"),
    HostileLine("fee_exponent", {"fee_fixed": "1E+2"}, "invalid_amount"),
)


def good_journal(now: datetime) -> dict[str, str]:
    """A purchase made an hour before `now` (naive UTC): its wall clock at +01:00 reads `now`."""
    local = now.replace(microsecond=0)
    return {
        "transaction_id": "T1", "terminal_id": "TERM1", "merchant_id": "M1", "type": "purchase",
        "amount": "12.50", "currency": "EUR", "local_time": local.isoformat() + "+01:00",
        "pan_last4": LAST4, "original_transaction_id": "",
    }  # fmt: skip


def journal_lines(now: datetime) -> tuple[HostileLine, ...]:
    far_ahead = (now + timedelta(days=30)).replace(microsecond=0).isoformat() + "+00:00"
    return (
        HostileLine("last4_is_a_pan", {"pan_last4": PAN}, "pan_in_wrong_field", PAN),
        HostileLine("last4_grouped_pan", {"pan_last4": PAN_GROUPED}, "pan_in_wrong_field", PAN),
        HostileLine(
            "transaction_id_is_a_pan", {"transaction_id": PAN}, "pan_in_wrong_field", PAN
        ),  # fmt: skip
        HostileLine(
            "terminal_id_dashed_pan",
            {"terminal_id": "4111-1111-1111-1111"},
            "pan_in_wrong_field",
            "4111-1111-1111-1111",
        ),  # fmt: skip
        HostileLine(
            "original_is_a_pan",
            {"type": "refund", "original_transaction_id": PAN},
            "pan_in_wrong_field",
            PAN,
        ),  # fmt: skip
        HostileLine("last4_short", {"pan_last4": "111"}, "invalid_field"),
        HostileLine("last4_arabic", {"pan_last4": "\u0661\u0661\u0661\u0661"}, "invalid_field"),
        HostileLine("last4_empty", {"pan_last4": ""}, "missing_field"),
        HostileLine("empty_transaction_id", {"transaction_id": ""}, "missing_field"),
        HostileLine("transaction_id_grammar", {"transaction_id": "T 1"}, "invalid_field"),
        HostileLine("empty_merchant_id", {"merchant_id": ""}, "missing_field"),
        HostileLine("type_unknown", {"type": "sale"}, "invalid_field"),
        HostileLine("refund_without_original", {"type": "refund"}, "missing_original"),
        HostileLine(
            "refund_of_itself", {"type": "refund", "original_transaction_id": "T1"}, "invalid_field"
        ),  # fmt: skip
        HostileLine("amount_negative", {"amount": "-12.50"}, "invalid_amount"),
        HostileLine("amount_zero", {"amount": "0.00"}, "invalid_amount"),
        HostileLine("amount_twenty_digits", {"amount": "9" * 20}, "amount_out_of_range"),
        HostileLine("amount_huge", {"amount": "9" * 5000}, "invalid_field"),
        HostileLine("terminal_id_huge_digit_run", {"terminal_id": "9" * 100_000}, "invalid_field"),
        HostileLine(
            "amount_arabic_digits", {"amount": "\u0661\u0662.\u0665\u0660"}, "invalid_amount"
        ),  # fmt: skip
        HostileLine("amount_too_many_decimals", {"amount": "12.505"}, "too_many_decimals"),
        HostileLine("amount_exponent", {"amount": "1E+3"}, "invalid_amount"),
        HostileLine("currency_unknown", {"currency": "XXX"}, "unknown_currency"),
        HostileLine("currency_retired", {"currency": "HRK"}, "retired_currency"),
        HostileLine(
            "time_year_9999", {"local_time": "9999-12-31T23:59:59+01:00"}, "implausible_time"
        ),  # fmt: skip
        HostileLine(
            "time_year_1", {"local_time": "0001-01-01T00:00:00+00:00"}, "implausible_time"
        ),  # fmt: skip
        HostileLine("time_ahead", {"local_time": far_ahead}, "implausible_time"),
        HostileLine("time_naive", {"local_time": "2026-03-11T10:00:00"}, "invalid_field"),
        HostileLine("time_garbage", {"local_time": "yesterday"}, "invalid_field"),
    )


RATE_LINES = (
    HostileLine("rate_absurd", {"units_per_eur": "1E+30"}, "invalid_rate"),
    HostileLine("rate_zero", {"units_per_eur": "0"}, "out_of_range"),
    HostileLine("rate_negative", {"units_per_eur": "-1.1650"}, "invalid_rate"),
    HostileLine("rate_nan", {"units_per_eur": "NaN"}, "invalid_rate"),
    HostileLine("rate_infinite", {"units_per_eur": "Infinity"}, "invalid_rate"),
    HostileLine("rate_arabic_digits", {"units_per_eur": "\u0661.\u0661\u0666"}, "invalid_rate"),
    HostileLine("rate_huge_plain", {"units_per_eur": "123456789.5"}, "out_of_range"),
    HostileLine("rate_tiny", {"units_per_eur": "0.0000000001"}, "out_of_range"),
    HostileLine("rate_ten_times", {"units_per_eur": "11.650"}, "rate_jump"),
    HostileLine("rate_halved", {"units_per_eur": "0.5825"}, "rate_jump"),
    HostileLine("rate_eur", {"currency": "EUR", "units_per_eur": "1"}, "base_currency"),
    HostileLine("rate_currency_unknown", {"currency": "XXX"}, "unknown_currency"),
    HostileLine("rate_currency_retired", {"currency": "SLL"}, "retired_currency"),
    HostileLine("rate_date_invalid", {"date": "2026-02-30"}, "invalid_field"),
    HostileLine("rate_date_9999", {"date": "9999-12-31"}, "implausible_time"),
    HostileLine("rate_date_is_a_pan", {"date": PAN}, "pan_in_wrong_field", PAN),
)


@dataclass(frozen=True)
class HostileFile:
    """A whole file (bytes) and what importing it must say: `exit_code`, and `says` in the
    output (a one-line error, or the summary of an accepted file)."""

    name: str
    kind: str  # merchants | journal | rates
    content: bytes
    exit_code: int
    says: str
    written: int = 0
    secrets: tuple[str, ...] = field(default=())


def _text(lines: list[str], end: str = "\n") -> str:
    return end.join(lines) + end


def hostile_files(now: datetime) -> tuple[HostileFile, ...]:
    merchants_header = ",".join(MERCHANT_COLUMNS)
    merchant = csv_line(MERCHANT_COLUMNS, GOOD_MERCHANT)
    journal = csv_line(JOURNAL_COLUMNS, good_journal(now))
    journal_header = ",".join(JOURNAL_COLUMNS)
    rate = csv_line(RATE_COLUMNS, GOOD_RATE)
    semicolons = _text([merchants_header.replace(",", ";"), merchant.replace(",", ";")])
    return (
        HostileFile("bom_crlf_merchants", "merchants",
                    b"\xef\xbb\xbf" + _text([merchants_header, merchant], "\r\n").encode(),
                    0, "written 1", written=1),
        HostileFile("bom_journal", "journal",
                    b"\xef\xbb\xbf" + _text([journal_header, journal]).encode(), 0, "written 1",
                    written=1),
        HostileFile("bom_rates", "rates",
                    b"\xef\xbb\xbf" + _text([",".join(RATE_COLUMNS), rate], "\r\n").encode(),
                    0, "written 1", written=1),
        HostileFile("semicolons", "merchants", semicolons.encode(), 1,
                    "header must be: " + merchants_header),
        HostileFile("header_only", "merchants", _text([merchants_header]).encode(), 1,
                    "no lines after the header"),
        HostileFile("empty", "rates", b"", 1, "empty file"),
        HostileFile("latin1", "merchants",
                    _text([merchants_header, merchant.replace("Shop", "Caf\xe9")]).encode(
                        "latin-1"), 1, "not UTF-8"),
        HostileFile("nul_byte", "journal",
                    _text([journal_header, journal.replace("T1", "T\x001")]).encode(), 1,
                    "line 2"),
        HostileFile("pan_in_header", "rates",
                    _text([f"date,currency,{PAN}", rate]).encode(), 1,
                    "header must be: date,currency,units_per_eur", secrets=(PAN,)),
        HostileFile("extra_field", "merchants",
                    _text([merchants_header, merchant + ",extra"]).encode(), 1,
                    "line 2: wrong_field_count"),
        HostileFile("rich_markup_in_a_bad_field", "merchants",
                    _text([merchants_header, merchant.replace("5411", "[/b]")]).encode(), 1,
                    "line 2: invalid_field: mcc '[/b]'"),
        HostileFile("duplicate_merchant", "merchants",
                    _text([merchants_header, merchant, merchant]).encode(), 1,
                    "line 3: duplicate"),
        HostileFile("duplicate_rate_other_value", "rates",
                    _text([",".join(RATE_COLUMNS), rate, rate.replace("1.1650", "1.1660")]
                          ).encode(), 1, "line 3: duplicate"),
    )  # fmt: skip
