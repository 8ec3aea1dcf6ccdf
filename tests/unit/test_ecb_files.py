"""The ECB's rate files read by content (settlement.domain.ecb_files): every layout the ECB
publishes, and files that are hostile or not rate files at all."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.domain import ecb_files
from settlement.domain.ecb_files import (
    NotARateFile,
    RateCell,
    RateFileFormat,
    Tally,
    long_date,
    opened,
    published_cells,
    sniff,
    text_lines,
)
from tests.support.ecb_rate_files import (
    BILLION_LAUGHS,
    DAILY_CSV,
    DAILY_CSV_RATES,
    DAILY_XML,
    DAILY_XML_RATES,
    EXTERNAL_ENTITY,
    HIST_90D_XML,
    HIST_90D_XML_RATES,
    HIST_CSV,
    HIST_CSV_RATES,
    HTML_PAGE,
    OWN_CSV,
    xml_day,
    xml_file,
)


def cells(content: bytes | str, size: int = 1 << 16) -> tuple[list[RateCell], Tally]:
    data = content.encode() if isinstance(content, str) else content
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    form, stream = opened(chunks)
    tally = Tally()
    return list(published_cells(form, stream, tally)), tally


@pytest.mark.parametrize(
    ("content", "form"),
    [
        (HIST_CSV, RateFileFormat.ECB_CSV),
        (DAILY_CSV, RateFileFormat.ECB_CSV),
        (DAILY_XML, RateFileFormat.ECB_XML),
        (HIST_90D_XML, RateFileFormat.ECB_XML),
        (OWN_CSV, RateFileFormat.RATES_CSV),
        ("\ufeff" + OWN_CSV.replace("\n", "\r\n"), RateFileFormat.RATES_CSV),
        ("\ufeff" + HIST_CSV.replace("\n", "\r\n"), RateFileFormat.ECB_CSV),
    ],
)
def test_the_format_is_recognised_by_content(content: str, form: RateFileFormat) -> None:
    assert sniff(content.encode()[:4096]) is form


def test_the_history_csv_gives_each_rate_and_skips_na_and_retired_columns() -> None:
    found, tally = cells(HIST_CSV)
    assert len(found) == HIST_CSV_RATES
    assert found[0] == RateCell(2, "2026-03-13", "USD", "1.1476")
    assert found[-1] == RateCell(4, "2026-03-11", "TRY", "51.0671")
    assert tally.gaps == 3  # RUB's N/A
    assert tally.retired == {"CYP"}
    assert {c.currency for c in found} == {"USD", "JPY", "CZK", "GBP", "CHF", "TRY"}


def test_the_daily_csv_spaces_and_long_date() -> None:
    found, tally = cells(DAILY_CSV)
    assert len(found) == DAILY_CSV_RATES
    assert {c.date for c in found} == {"2026-03-13"}
    assert found[0] == RateCell(2, "2026-03-13", "USD", "1.1476")
    assert tally.gaps == 0


@pytest.mark.parametrize(("content", "count"), [(DAILY_XML, DAILY_XML_RATES),
                                                 (HIST_90D_XML, HIST_90D_XML_RATES)])  # fmt: skip
def test_the_xml_files(content: str, count: int) -> None:
    found, _ = cells(content)
    assert len(found) == count
    assert found[0].date == "2026-03-13" and found[0].currency == "USD"
    assert found[0].line == 9  # the rate's own line in the file


@given(st.integers(1, 200))
def test_chunk_boundaries_change_nothing(size: int) -> None:
    """A file arrives in pieces of any size: a line or a tag cut in two reads the same."""
    for content in (HIST_CSV, DAILY_CSV, HIST_90D_XML):
        assert cells(content, size)[0] == cells(content)[0]


def test_crlf_and_bom_read_like_the_plain_file() -> None:
    plain = cells(HIST_CSV)[0]
    assert cells(b"\xef\xbb\xbf" + HIST_CSV.replace("\n", "\r\n").encode())[0] == plain


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "empty file"),
        (b"  \r\n\n", "empty file"),
        (HTML_PAGE.encode(), "an HTML page"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a rate file"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "an unreadable zip file"),
        (b"merchant_id,name,mcc\nM1,Shop,5411\n", "not a rate file"),
        (BILLION_LAUGHS.encode(), "a DTD or entities"),
        (EXTERNAL_ENTITY.encode(), "a DTD or entities"),
        (b"<?xml version='1.0'?><rss><channel/></rss>", "not the ECB's gesmes:Envelope"),
        (DAILY_XML.encode()[:-30], "not well-formed XML"),
        (b"Date,USD,Dollar,\n2026-03-13,1.1,1.2,\n", "column 3 'Dollar' is not a currency"),
        (b"Date,USD,\n2026-03-13,1.1,2.2,3.3\n", "line 2: 4 fields where the header has 2"),
        (b"Date,\n2026-03-13,\n", "no currency columns"),
        (b"Date,USD,\n2026-03-13,\xff1.1,\n", "line 2: not UTF-8"),
    ],
)
def test_a_file_that_is_not_a_rate_file_is_one_line(content: bytes, says: str) -> None:
    with pytest.raises(NotARateFile) as raised:
        cells(content)
    assert says in str(raised.value)
    assert "\n" not in str(raised.value)


def test_unrecognised_files_name_the_formats_that_are_read() -> None:
    with pytest.raises(NotARateFile, match="eurofxref-hist.csv.*eurofxref-daily.xml.*units_per"):
        sniff(b"hello\n")


def test_billion_laughs_is_refused_before_any_expansion() -> None:
    """Refused at the DOCTYPE: the handler runs before expat declares one entity."""
    deep = BILLION_LAUGHS.replace("]>", ''.join(
        f' <!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">\n' for n in range(4, 12)) + "]>")  # fmt: skip
    with pytest.raises(NotARateFile, match="DTD"):
        cells(deep)


def test_a_very_long_line_is_refused_without_reading_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ecb_files, "MAX_LINE_BYTES", 1000)
    endless = (b"Date,USD,\n2026-03-13," + b"1" * 5000 + b"\n") * 2
    with pytest.raises(NotARateFile, match="line 2: longer than 1,000 bytes"):
        list(text_lines([endless[i : i + 100] for i in range(0, len(endless), 100)]))


def test_more_rates_than_any_ecb_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ecb_files, "MAX_RATES", 5)
    with pytest.raises(NotARateFile, match="more than 5 rates"):
        cells(HIST_CSV)


def test_xml_streams_a_large_history_without_a_tree() -> None:
    """Thousands of days in 64 KiB pieces: each piece's rates come out as it is parsed."""
    days = [xml_day(f"{2000 + n // 365:04d}-01-01", {"USD": "1.1"}) for n in range(3000)]
    content = xml_file(*days).encode()
    form, stream = opened([content[i : i + 65536] for i in range(0, len(content), 65536)])
    first = next(iter(published_cells(form, stream, Tally())))
    assert first.currency == "USD"


def test_na_and_empty_xml_rates_are_gaps_and_retired_currencies_are_named() -> None:
    content = xml_file(xml_day("2026-03-13", {"USD": "N/A", "JPY": "", "CYP": "0.58",
                                              "GBP": "0.86503"}))  # fmt: skip
    found, tally = cells(content)
    assert [(c.currency, c.units_per_eur) for c in found] == [("GBP", "0.86503")]
    assert (tally.gaps, tally.retired) == (2, {"CYP"})


def test_cells_keep_what_the_line_rules_judge() -> None:
    """Bad rates and currencies are not this module's to judge: they reach `rate_lines`."""
    content = "Date,USD,JPY,\n2026-03-13,0,1E+30,\n2026-03-12,-1,\u0661\u0662,\n"
    found, _ = cells(content)
    assert [c.units_per_eur for c in found] == ["0", "1E+30", "-1", "\u0661\u0662"]
    garbage = xml_file(xml_day("2026-03-13", {"usd": "1.1", "X<Y": "1.2"}).replace("<Y", "&lt;Y"))
    assert [c.currency for c in cells(garbage)[0]] == ["usd", "X<Y"]


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("13 March 2026", "2026-03-13"),
        ("03 June 2021", "2021-06-03"),
        ("2026-03-13", "2026-03-13"),
        ("13 Mars 2026", "13 Mars 2026"),  # not the ECB's spelling: judged (and rejected) later
        ("\u0661\u0663 March 2026", "\u0661\u0663 March 2026"),  # other scripts' digits
        ("13 march 2026", "13 march 2026"),
    ],
)
def test_long_dates(written: str, iso: str) -> None:
    assert long_date(written) == iso


def _zip(*files: tuple[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_zip_of_one_rate_file_reads_as_the_file() -> None:
    """The ECB offers its CSV files zipped (eurofxref-hist.zip, eurofxref.zip)."""
    for content in (HIST_CSV, DAILY_CSV, HIST_90D_XML):
        assert cells(_zip(("eurofxref-hist.csv", content)), 100)[0] == cells(content)[0]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (_zip(("a.csv", HIST_CSV), ("b.csv", DAILY_CSV)), "a zip file of 2 files"),
        (_zip(("inner.zip", _zip(("eurofxref.csv", DAILY_CSV)))), "a zip file inside a zip"),
        (_zip(("big.csv", "Date,USD,\n" + "2026-03-13,1.1,\n" * 20_000)), "more than 100,000"),
        (b"PK\x03\x04" + b"\x00" * 100, "an unreadable zip file"),
    ],
)
def test_zip_files_that_are_not_one_rate_file(
    monkeypatch: pytest.MonkeyPatch, content: bytes, says: str
) -> None:
    monkeypatch.setattr(ecb_files, "MAX_UNZIPPED_BYTES", 100_000)  # a zip bomb, in small
    with pytest.raises(NotARateFile, match=says):
        cells(content)
