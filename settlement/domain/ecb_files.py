"""The rate files `settlement rates import` reads, recognised by their content, never their name.

A person downloads the ECB's reference rates as published and imports them as they are:
- eurofxref-hist.csv: wide, `Date,USD,JPY,...,` (a trailing comma: an empty last column),
  one row a day, newest first, `N/A` where a currency had no rate that day;
- eurofxref.csv (the daily file): the same shape with a space after each comma and the date
  written `14 October 2026`;
- eurofxref-daily.xml, eurofxref-hist-90d.xml, eurofxref-hist.xml: a `gesmes:Envelope` with
  `<Cube time="YYYY-MM-DD">` holding `<Cube currency="USD" rate="1.0876"/>`;
- and the project's own `date,currency,units_per_eur` (read by `adapters.imports`);
- each of them zipped, as the ECB offers the CSV files (eurofxref-hist.zip, eurofxref.zip).

Each format is turned into the same cells (date, currency, rate text) so one set of line
rules (`rate_lines`) holds every rate whichever file it came in. `N/A` and empty cells are
"no rate that day": counted as skipped, never as rejected. Both readers stream: a CSV line at
a time, the XML through expat's push parser (a 100 MB file is never a tree in memory), with
any DTD refused before it is read, so no entity is ever expanded or fetched (billion laughs,
external entities). A retired currency's column (the history carries CYP, DEM-era ROL, TRL,
HRK...) is skipped whole and named: it can never settle a transaction again.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from xml.parsers import expat

from settlement.domain.currencies import is_known_currency
from settlement.domain.file_lines import preview
from settlement.domain.fx import SOURCE_ECB, SOURCE_IMPORTED

BOM: Final = b"\xef\xbb\xbf"
SNIFF_BYTES: Final = 4096
# The full ECB history is about 220,000 rates; a file with ten times that is not one.
MAX_RATES: Final = 2_000_000
MAX_LINE_BYTES: Final = 1 << 20  # a history line is about 400 bytes
ZIP_MAGIC: Final = b"PK\x03\x04"
# The ECB's eurofxref-hist.zip is about 0.6 MB and holds a 1.9 MB CSV; the caps stop a zip
# bomb while it is read, whatever its headers claim.
MAX_ZIP_BYTES: Final = 16 << 20
MAX_UNZIPPED_BYTES: Final = 64 << 20
GAPS: Final = frozenset({"", "N/A"})
GESMES_NS: Final = "http://www.gesmes.org/xml/2002-08-01"
_CODE = re.compile(r"[A-Z]{3}")
_MONTHS: Final = ("January February March April May June July August September October "
                  "November December").split()  # fmt: skip
_LONG_DATE = re.compile(rf"([0-9]{{1,2}}) ({'|'.join(_MONTHS)}) ([0-9]{{4}})")


class RateFileFormat(StrEnum):
    ECB_CSV = "ECB CSV"  # eurofxref-hist.csv, eurofxref.csv
    ECB_XML = "ECB XML"  # eurofxref-daily.xml, eurofxref-hist-90d.xml, eurofxref-hist.xml
    RATES_CSV = "date,currency,units_per_eur"

    @property
    def rate_source(self) -> str:
        """What a rate read from this format is recorded as: the ECB's files hold the ECB's
        publication (`ecb`), the project's own CSV an operator's rate (`imported`)."""
        return SOURCE_IMPORTED if self is RateFileFormat.RATES_CSV else SOURCE_ECB


READABLE: Final = (
    "the ECB's eurofxref-hist.csv or eurofxref.csv (Date,USD,JPY,...), the ECB's "
    "eurofxref-daily.xml, eurofxref-hist-90d.xml or eurofxref-hist.xml, or a CSV with the "
    "header date,currency,units_per_eur"
)


class NotARateFile(ValueError):
    """The file as a whole is not one this command reads (or breaks its format); one line."""


@dataclass(frozen=True, slots=True)
class RateCell:
    """One published rate as the file wrote it: `line` is its line number in the file,
    `date` is YYYY-MM-DD when the file's spelling was recognised, else as written."""

    line: int
    date: str
    currency: str
    units_per_eur: str

    def row(self) -> dict[str, str]:
        """The cell as a rates.csv line, for `rate_lines.parse_rate_line`."""
        return {"date": self.date, "currency": self.currency, "units_per_eur": self.units_per_eur}


@dataclass(slots=True)
class Tally:
    """What a reader passed over: `gaps` N/A or empty cells, `retired` skipped columns."""

    gaps: int = 0
    retired: set[str] | None = None

    def skip_currency(self, currency: str) -> None:
        self.retired = (self.retired or set()) | {currency}


def sniff(head: bytes) -> RateFileFormat:
    """Which format a file is, from its first bytes; raises `NotARateFile`."""
    text = head.removeprefix(BOM).lstrip(b" \t\r\n")
    if not text:
        raise NotARateFile(f"empty file: expected {READABLE}")
    if text.startswith(b"<"):
        if re.match(rb"<(!doctype\s+html|html)", text, re.IGNORECASE):
            raise NotARateFile(f"an HTML page, not a rate file: expected {READABLE}")
        return RateFileFormat.ECB_XML
    first = text.split(b"\n", 1)[0].decode("utf-8", "replace")
    names = [name.strip().lower() for name in first.split(",")]
    if "currency" in names or "units_per_eur" in names:
        return RateFileFormat.RATES_CSV
    if names[0] == "date" and len(names) > 1:
        return RateFileFormat.ECB_CSV
    got = preview(first.strip())
    raise NotARateFile(f"not a rate file (first line {got}): expected {READABLE}")


def long_date(value: str) -> str:
    """`14 October 2026` (the daily CSV's spelling) as 2026-10-14; anything else as is."""
    found = _LONG_DATE.fullmatch(value)
    if found is None:
        return value
    day, month, year = found.groups()
    return f"{year}-{_MONTHS.index(month) + 1:02d}-{int(day):02d}"


def text_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Lines of UTF-8 bytes arriving in chunks, a BOM dropped, line ends kept; a line that
    is not UTF-8, or longer than any rate file's, raises `NotARateFile` naming it."""
    pending, number = b"", 0
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            number += 1
            yield _decoded(raw + b"\n", number)
        if len(pending) > MAX_LINE_BYTES:
            raise NotARateFile(f"line {number + 1}: longer than {MAX_LINE_BYTES:,} bytes")
    if pending:
        yield _decoded(pending, number + 1)


def _decoded(raw: bytes, number: int) -> str:
    try:
        return (raw.removeprefix(BOM) if number == 1 else raw).decode("utf-8")
    except UnicodeDecodeError:
        raise NotARateFile(f"line {number}: not UTF-8 text") from None


def ecb_csv_cells(lines: Iterable[str], tally: Tally) -> Iterator[RateCell]:
    """The rate cells of an ECB CSV (history or daily), in file order."""
    numbered = enumerate(lines, start=1)
    header = next(numbered, (1, ""))[1]
    currencies = _ecb_columns(header, tally)
    for number, line in numbered:
        values = [value.strip() for value in line.rstrip("\r\n").split(",")]
        if values == [""]:
            continue  # a blank line
        if values[-1] == "" and len(values) == len(currencies) + 2:
            values.pop()  # the ECB's trailing comma
        if len(values) != len(currencies) + 1:
            raise NotARateFile(
                f"line {number}: {len(values)} fields where the header has {len(currencies) + 1}"
            )
        day = long_date(values[0])
        for currency, value in zip(currencies, values[1:], strict=True):
            if currency is None:
                continue
            if value in GAPS:
                tally.gaps += 1
            else:
                yield RateCell(number, day, currency, value)


def _ecb_columns(header: str, tally: Tally) -> list[str | None]:
    """Each rate column's currency; None for a retired one (skipped, named in `tally`)."""
    names = [name.strip() for name in header.rstrip("\r\n").split(",")]
    if names and names[-1] == "":
        names.pop()
    columns: list[str | None] = []
    for position, name in enumerate(names[1:], start=2):
        if not _CODE.fullmatch(name):
            raise NotARateFile(
                f"line 1: column {position} {preview(name)} is not a currency code (3 letters)"
            )
        if name == "EUR" or not is_known_currency(name):
            tally.skip_currency(name)
            columns.append(None)
        else:
            columns.append(name)
    if not columns:
        raise NotARateFile(f"line 1: no currency columns after Date: expected {READABLE}")
    return columns


def ecb_xml_cells(chunks: Iterable[bytes], tally: Tally) -> Iterator[RateCell]:
    """The rate cells of an ECB XML file (daily, 90 days or history), in file order, fed
    through expat a chunk at a time. A DTD (and so any entity) is refused on sight; the root
    must be the gesmes Envelope."""
    reader = _CubeReader(tally)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = reader.refuse_dtd
    parser.EntityDeclHandler = reader.refuse_dtd
    parser.StartElementHandler = reader.start
    reader.parser = parser
    for chunk, final in _with_last(chunks):
        try:
            parser.Parse(chunk, final)
        except expat.ExpatError as error:
            raise NotARateFile(f"line {error.lineno}: not well-formed XML "
                               f"({expat.ErrorString(error.code)})") from None  # fmt: skip
        yield from reader.take()
    if not reader.seen_root:
        raise NotARateFile(f"an XML file without content: expected {READABLE}")


def _with_last(chunks: Iterable[bytes]) -> Iterator[tuple[bytes, bool]]:
    """Each chunk with whether it is the last (expat must be told)."""
    previous: bytes | None = None
    for chunk in chunks:
        if previous is not None:
            yield previous, False
        previous = chunk
    yield previous or b"", True


class _CubeReader:
    """expat's callbacks: keeps the date of the open `Cube time=` and collects the rates of
    its `Cube currency= rate=` children until the parser's caller takes them."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.seen_root = False
        self.day: str | None = None
        self.parser: expat.XMLParserType | None = None
        self._cells: list[RateCell] = []

    def refuse_dtd(self, *_: object) -> None:
        raise NotARateFile("an XML file with a DTD or entities: the ECB's files have none")

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if not self.seen_root:
            if name != f"{GESMES_NS} Envelope":
                got = preview(name.rpartition(" ")[2])
                raise NotARateFile(f"XML whose root is {got}, not the ECB's gesmes:Envelope: "
                                   f"expected {READABLE}")  # fmt: skip
            self.seen_root = True
        if name.rpartition(" ")[2] != "Cube":
            return
        if "time" in attributes:
            self.day = attributes["time"].strip()
        elif "currency" in attributes:
            self._rate(attributes)

    def _rate(self, attributes: dict[str, str]) -> None:
        currency = attributes["currency"].strip()
        value = attributes.get("rate", "").strip()
        if _CODE.fullmatch(currency) and (currency == "EUR" or not is_known_currency(currency)):
            self.tally.skip_currency(currency)
        elif value in GAPS:
            self.tally.gaps += 1
        else:
            line = self.parser.CurrentLineNumber if self.parser is not None else 0
            self._cells.append(RateCell(line, self.day or "", currency, value))

    def take(self) -> list[RateCell]:
        cells, self._cells = self._cells, []
        return cells


def opened(chunks: Iterable[bytes]) -> tuple[RateFileFormat, Iterator[bytes]]:
    """The file's format, sniffed from its first bytes, and all of its chunks from the
    start; a zip of one rate file (the ECB's eurofxref-hist.zip, eurofxref.zip) is read
    through. Raises `NotARateFile`."""
    head, stream = _head(chunks)
    if head.startswith(ZIP_MAGIC):
        head, stream = _head(_unzipped(_prepended(head, stream)))
        if head.startswith(ZIP_MAGIC):
            raise NotARateFile("a zip file inside a zip file: expected one rate file")
    return sniff(head[:SNIFF_BYTES]), _prepended(head, stream)


def _head(chunks: Iterable[bytes]) -> tuple[bytes, Iterator[bytes]]:
    stream = iter(chunks)
    head = b""
    for chunk in stream:
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    return head, stream


def _unzipped(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The one file of a zip archive, in 64 KiB pieces, within the caps."""
    data = b"".join(_capped(chunks, MAX_ZIP_BYTES, "zip file"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = [info for info in archive.infolist() if not info.is_dir()]
            if len(files) != 1:
                raise NotARateFile(
                    f"a zip file of {len(files)} files: expected one rate file (the ECB's "
                    "eurofxref-hist.zip holds eurofxref-hist.csv)"
                )
            with archive.open(files[0]) as member:
                pieces = iter(lambda: member.read(1 << 16), b"")
                yield from _capped(pieces, MAX_UNZIPPED_BYTES, "unzipped file")
    except (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError) as error:
        raise NotARateFile(f"an unreadable zip file ({error})") from None


def _capped(chunks: Iterable[bytes], limit: int, what: str) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise NotARateFile(f"a {what} of more than {limit:,} bytes: not an ECB file")
        yield chunk


def _prepended(head: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if head:
        yield head
    yield from rest


def published_cells(
    form: RateFileFormat, chunks: Iterable[bytes], tally: Tally
) -> Iterator[RateCell]:
    """The cells of an ECB file of format `form`, at most `MAX_RATES` of them."""
    if form is RateFileFormat.ECB_XML:
        cells = ecb_xml_cells(chunks, tally)
    else:
        cells = ecb_csv_cells(text_lines(chunks), tally)
    for count, cell in enumerate(cells, start=1):
        if count > MAX_RATES:
            raise NotARateFile(f"more than {MAX_RATES:,} rates: not an ECB file (the full "
                               "history has about 220,000)")  # fmt: skip
        yield cell
