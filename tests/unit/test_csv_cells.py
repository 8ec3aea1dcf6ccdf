"""Spreadsheet-safe CSV cells (OWASP CSV injection): formulas become text, numbers stay."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.csv_cells import spreadsheet_safe, spreadsheet_safe_row
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
