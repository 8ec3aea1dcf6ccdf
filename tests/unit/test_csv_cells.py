"""Spreadsheet-safe CSV cells (OWASP CSV injection): formulas become text, numbers stay."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.csv_cells import spreadsheet_safe, spreadsheet_safe_chunk, spreadsheet_safe_row
from settlement.domain.money import Money

DANGEROUS = frozenset("=+-@\t\r")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("  =1+1", "'  =1+1"),
        ("\u00a0@x", "'\u00a0@x"),
        ("-", "'-"),
        ("-12.50", "-12.50"),
        ("-5", "-5"),
        ("12.50", "12.50"),
        ("Shop M1", "Shop M1"),
        (" Shop", " Shop"),
        ("", ""),
        ("'=already", "'=already"),
        (-5, -5),
    ],
)
def test_cells(cell: object, written: object) -> None:
    assert spreadsheet_safe(cell) == written
    assert spreadsheet_safe_row([cell]) == [written]


@given(st.text())
def test_no_cell_starts_a_formula_unless_it_is_a_number(text: str) -> None:
    for safe in (spreadsheet_safe(text), spreadsheet_safe_row([text])[0]):
        assert safe in (text, "'" + text)
        if safe[:1] in DANGEROUS or safe.lstrip()[:1] in DANGEROUS:
            assert NUMBER.fullmatch(safe), safe


@given(st.integers(-(10**15), 10**15), st.sampled_from(["EUR", "JPY", "KWD", "CLF"]))
def test_amounts_stay_numbers_and_parse_back(minor: int, currency: str) -> None:
    text = Money(minor, currency).format()
    assert spreadsheet_safe(text) == text
    assert Money.parse(spreadsheet_safe_row([text])[0], currency).amount_minor == minor


@pytest.mark.parametrize(
    "cell",
    [
        '＝HYPERLINK("http://x","y")',  # fullwidth, as a Japanese IME types it
        "＋1+1",
        "－1+1",
        "＠SUM(A1)",
        "﹦1+1",  # small form variants: NFKC makes them the ASCII ones too
        "﹢1",
        "﹣1",
        "﹫x",
        "\u3000＝1",
    ],
)
def test_a_formula_in_compatibility_forms_is_text(cell: str) -> None:
    """Red team: a merchant named '＝HYPERLINK(...)' reached payouts.csv as it was; an
    importer that folds compatibility forms (NFKC) would see '=HYPERLINK(...)'."""
    assert spreadsheet_safe(cell) == "'" + cell
    assert spreadsheet_safe_row([cell]) == ["'" + cell]


# Text a cell may hold: mostly harmless, with every risky first character in play.
_RISKY_FIRSTS = sorted(set("=+-@\t\r\n \u00a0\u3000\x1f＝＋－＠﹦﹢﹣﹫"))
_TEXT = st.one_of(
    st.text(max_size=6),
    st.builds(str.__add__, st.sampled_from(_RISKY_FIRSTS), st.text(max_size=4)),
    st.sampled_from(["M1", "purchase", "", "0a1b-uuid", "-12.50", "\0=x"]),
)
# Cells the writer makes itself and knows safe: integers, amounts of any exponent, dates.
_MADE = st.one_of(
    st.integers(),
    st.builds(lambda m, c: Money(m, c).format(), st.integers(-(10**20), 10**20),
              st.sampled_from(["EUR", "JPY", "KWD", "CLF"])),
    st.dates().map(lambda d: d.isoformat()),
)  # fmt: skip


@given(st.lists(st.tuples(_TEXT, _MADE, _TEXT, _MADE, _TEXT), max_size=12))
def test_a_chunk_is_made_safe_as_its_rows_are(rows: list[tuple[object, ...]]) -> None:
    """The chunk check (one search over the text cells) writes what a check of every cell
    writes, a chunk with one risky cell among many harmless ones too."""
    expected = [spreadsheet_safe_row(row) for row in rows]
    chunk: list[Sequence[object]] = list(rows)
    assert [list(row) for row in spreadsheet_safe_chunk(chunk, (0, 2, 4))] == expected
    assert [list(row) for row in spreadsheet_safe_chunk(chunk, None)] == expected


def test_a_harmless_chunk_is_returned_as_it_is() -> None:
    rows: list[Sequence[object]] = [("M1", -5, "Shop", "-12.50", "")] * 3
    assert spreadsheet_safe_chunk(rows, (0, 2, 4)) is rows
