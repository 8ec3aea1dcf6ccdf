"""Find a full PAN that was sent, in any spelling, in everything a run leaves behind.

Independent of the product's detector on purpose (no `settlement.domain.cards`): a bug there
must not hide itself here. Two searches over every artefact:

- The sent PANs (`sent_pans`: every `pan` field of the capture, plus every PAN-shaped value
  anywhere in it, hostile fields included), looked for after normalising the artefact:
  JSON `\\uXXXX`, HTML `&#..;` and `%3N` escapes undone, NFKC (fullwidth, superscripts),
  every script's decimal digits mapped to ASCII, and the characters between digits dropped
  (up to three non-alphanumerics: spaces, dashes, dots, commas, quotes, SQLite's record
  bytes). A chain of digits that holds a sent PAN is a finding.
- Any PAN at all (text artefacts only): a 13-19 digit run, or a stand-alone group chain
  ("4111 1111 1111 1111"), that passes the Luhn check. 64-hex digests are skipped.

Raw database bytes (SQLite's main file, -wal, -shm, -journal: freed pages and old frames
keep what a later UPDATE or DELETE removed) get only the first search: a binary page glues
unrelated fields together, and a Luhn test over that would flag noise; the sent PANs are
exactly what matters there.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, Text, column, create_engine, inspect, select, table
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

PAN_LENGTHS = range(13, 20)
# A sent `pan` may be shorter: Maestro issues 12-digit PANs (issue 16). Only the sent ones
# are searched at that length; any 12-digit Luhn-valid run would be one number in ten.
SENT_PAN_LENGTHS = range(12, 20)
DATABASE_SUFFIXES = ("-wal", "-shm", "-journal")
_JSON_ESCAPE = re.compile(r"\\+u([0-9a-fA-F]{4})")
_PERCENT_DIGIT = re.compile(r"%3([0-9])")
# Up to three non-alphanumerics between two digits: dropped, to join a written PAN's groups.
_BETWEEN_DIGITS = re.compile(r"(?<=[0-9])(?:[^\w]|_){1,3}(?=[0-9])")
_LONG_RUN = re.compile(r"[0-9]{12,}")  # SENT_PAN_LENGTHS.start
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")  # a decimal digit of another script
_NOT_DIGIT = re.compile(r"[^0-9]")
_RUN = re.compile(r"(?<![0-9])[0-9]{13,19}(?![0-9])")
_GROUP_SEPARATOR = r"[\s\-.\u2010-\u2015\u2212]"
_GROUPS = re.compile(
    rf"(?<![0-9A-Za-z])[0-9]{{4}}(?:{_GROUP_SEPARATOR}[0-9]{{1,6}}){{2,5}}(?![0-9A-Za-z])"
)
_HEX_WORD = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{32,}(?![0-9A-Za-z])")
# SHA-256 / HMAC-SHA256 hex digests: a digit run inside one passes the Luhn check by chance
# (about one row in a few hundred), but a digest holds no card number. Only values that are
# whole 64-character lowercase hex digests are skipped by the Luhn search, so a PAN written
# into one of these columns by mistake is still found.
HEX_DIGEST_COLUMNS = frozenset({"content_hash", "card_token", "body_sha256"})


@dataclass(frozen=True, slots=True)
class Finding:
    where: str
    last4: str
    how: str  # "sent PAN" or "Luhn-valid run"

    def __str__(self) -> str:
        return f"{self.where}: a PAN ending {self.last4} ({self.how})"


def luhn(digits: str) -> bool:
    """The Luhn check, written here again (not the product's)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


@cache
def _digit_table() -> dict[int, int]:
    """Every Unicode decimal digit (any script) to its ASCII digit."""
    table: dict[int, int] = {}
    for code in range(0x110000):
        value = unicodedata.decimal(chr(code), None)
        if value is not None and code > 0x7F:
            table[code] = 0x30 + value
    return table


def normalise(text: str) -> str:
    """`text` with escapes undone, compatibility forms folded and every digit in ASCII."""
    for _ in range(3):  # an escaped body inside JSON inside JSON
        if "\\u" not in text:
            break
        text = _JSON_ESCAPE.sub(_unescape, text)
    text = html.unescape(_PERCENT_DIGIT.sub(r"\1", text))
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    table = _digit_table()
    return _OTHER_DIGIT.sub(lambda digit: chr(table[ord(digit.group())]), text)


def _unescape(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if not 0xD800 <= ord(char) <= 0xDFFF else " "


def generic_pans(text: str) -> list[str]:
    """Luhn-valid runs and stand-alone group chains of 13-19 digits in normalised `text`."""
    text = _HEX_WORD.sub(" ", text)
    found = [run for run in _RUN.findall(text) if luhn(run)]
    for chain in _GROUPS.findall(text):
        digits = _NOT_DIGIT.sub("", chain)
        if len(digits) in PAN_LENGTHS and luhn(digits):
            found.append(digits)
    return found


def sent_pans(capture: Path, extra: Iterable[str] = ()) -> frozenset[str]:
    """The PANs a capture sent: its `pan` fields and any PAN-shaped value in any field."""
    text = normalise(capture.read_bytes().decode("utf-8", "replace"))
    pans = {_NOT_DIGIT.sub("", m) for m in re.findall(r'"pan"\s*:\s*"([^"]*)"', text)}
    pans.update(generic_pans(text))
    pans.update(_NOT_DIGIT.sub("", normalise(pan)) for pan in extra)
    return frozenset(pan for pan in pans if len(pan) in SENT_PAN_LENGTHS and luhn(pan))


class PanScanner:
    """Searches artefacts for the sent PANs (and, in text, for any PAN); collects findings."""

    def __init__(self, sent: Iterable[str]) -> None:
        self.sent: set[str] = set(sent)
        self.findings: list[Finding] = []
        self.scanned: list[str] = []  # what was looked at, for the failure message
        self.inputs: list[Path] = []  # files a test wrote to send: never artefacts
        self.reported: set[Finding] = set()  # findings that already failed a test
        self._looked_at: set[tuple[str, int, int]] = set()  # files, as (path, size, mtime)

    def text(self, where: str, text: str, *, luhn_runs: bool = True) -> None:
        self.scanned.append(where)
        normal = normalise(text)
        for pan in self._sent_in(normal):
            self.findings.append(Finding(where, pan[-4:], "sent PAN"))
        if luhn_runs:
            for pan in generic_pans(normal):
                self.findings.append(Finding(where, pan[-4:], "Luhn-valid run"))

    def raw(self, where: str, data: bytes, *, utf16: bool = True) -> None:
        """Binary content: the sent PANs only, as UTF-8 text and (unless the file is known
        to hold UTF-8 text only) as UTF-16 in either order. Control bytes and undecodable
        ones break a chain of digits: they are the glue between a page's records, never how
        a person separates a card number's groups."""
        self.text(where, _unglued(data.decode("utf-8", "replace")), luhn_runs=False)
        for encoding in ("utf-16-le", "utf-16-be") if utf16 else ():
            for start in (0, 1):
                decoded = _unglued(data[start:].decode(encoding, "replace"))
                self.text(f"{where} ({encoding})", decoded, luhn_runs=False)

    def file(self, path: Path) -> None:
        if not self._first_look(path):
            return
        data = path.read_bytes()
        if _is_database_file(path, data):
            self.raw(str(path), data, utf16=not _utf8_database(path))
        else:
            self.text(str(path), data.decode("utf-8", "replace"))

    def tree(self, root: Path, skip: Iterable[Path] = ()) -> None:
        """Every file under `root`, except `inputs` and `skip` (files or directories)."""
        skipped = [path.resolve() for path in (*self.inputs, *skip)]
        for path in sorted(root.rglob("*")):
            resolved = path.resolve()
            if path.is_file() and not any(resolved.is_relative_to(s) for s in skipped):
                self.file(path)

    def _sent_in(self, normal: str) -> list[str]:
        by_length: dict[int, set[str]] = {}
        for pan in self.sent:
            by_length.setdefault(len(pan), set()).add(pan)
        found: list[str] = []
        for digits in _LONG_RUN.findall(_BETWEEN_DIGITS.sub("", normal)):
            for length, pans in by_length.items():
                windows = (digits[i : i + length] for i in range(len(digits) - length + 1))
                found += pans.intersection(windows)
        return found

    def database(self, url: str) -> None:
        """Every text column of every table; for SQLite also the raw files."""
        _scan_columns(self, url)
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            main = Path(parsed.database)
            for path in (main, *(main.with_name(main.name + s) for s in DATABASE_SUFFIXES)):
                if path.is_file() and self._first_look(path):
                    self.raw(str(path), path.read_bytes(), utf16=not _utf8_database(path))

    def _first_look(self, path: Path) -> bool:
        """False for a file already scanned as it is now (the same size and time)."""
        stat = path.stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        if key in self._looked_at:
            return False
        self._looked_at.add(key)
        return True

    def queue(self, sqs: SQSClient, queue_url: str, name: str) -> None:
        """Every message body on the queue (received and left hidden: a test's last look)."""
        seen: set[str] = set()
        while messages := sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300
        ).get("Messages", []):
            for message in messages:
                if message["MessageId"] not in seen:
                    seen.add(message["MessageId"])
                    self.text(f"{name} message {message['MessageId']}", message["Body"])

    def bucket(self, s3: S3Client, bucket: str) -> None:
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            data = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            self.text(f"s3://{bucket}/{item['Key']}", data.decode("utf-8", "replace"))

    def report(self, findings: list[Finding] | None = None) -> str:
        findings = self.findings if findings is None else findings
        counted = Counter(findings)
        shown = "\n".join(
            f"  {finding}" + (f" x{count}" if count > 1 else "")
            for finding, count in list(counted.items())[:40]
        )
        return f"{len(findings)} PAN finding(s) in {len(self.scanned)} artefacts:\n{shown}"

    def assert_clean(self) -> None:
        """Fail on the findings not yet reported (a second verdict repeats none)."""
        assert self.scanned, "the PAN scan looked at nothing"
        new = [finding for finding in self.findings if finding not in self.reported]
        self.reported.update(new)
        assert not new, self.report(new)


_BINARY_GLUE = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffd]")


def _unglued(text: str) -> str:
    return _BINARY_GLUE.sub("Z", text)


def _utf8_database(path: Path) -> bool:
    """True when the SQLite database `path` belongs to stores its text as UTF-8 (header
    byte 56..59 = 1), so UTF-16 passes over its pages would only cost time."""
    main = path.with_name(path.name.removesuffix("-wal").removesuffix("-shm"))
    main = main.with_name(main.name.removesuffix("-journal"))
    try:
        with main.open("rb") as handle:
            header = handle.read(60)
    except OSError:
        return False
    return header.startswith(b"SQLite format 3\x00") and header[56:60] == b"\x00\x00\x00\x01"


def _is_database_file(path: Path, data: bytes) -> bool:
    return data.startswith(b"SQLite format 3\x00") or path.name.endswith(DATABASE_SUFFIXES)


def _scan_columns(scanner: PanScanner, url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            for table_name in inspector.get_table_names():
                for info in inspector.get_columns(table_name):
                    if isinstance(info["type"], String | Text):
                        _scan_column(scanner, conn, table_name, info["name"])
    finally:
        engine.dispose()


def _scan_column(scanner: PanScanner, conn: Any, table_name: str, name: str) -> None:
    query = select(column(name)).select_from(table(table_name))
    values = [str(value) for (value,) in conn.execute(query) if value is not None]
    digests = name in HEX_DIGEST_COLUMNS
    # One text per column: the findings name the column, and a column of a million rows
    # is one normalisation, not a million.
    rows = "\nZ\n".join(values)  # the letter keeps one row's digits from the next row's
    scanner.text(f"{table_name}.{name}", rows, luhn_runs=not digests)
    if digests:  # a PAN written where a digest belongs is still found by the Luhn search
        odd = [v for v in values if not re.fullmatch(r"[0-9a-f]{64}", v)]
        scanner.text(f"{table_name}.{name} (not digests)", "\nZ\n".join(odd))


# The quick checks other tests use on one value, a log or a database (ASCII runs only).
_ASCII_RUN = re.compile(r"(?<![0-9])[0-9]{13,19}(?![0-9])")
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def pans_in(text: str) -> list[str]:
    """Luhn-valid runs of 13-19 ASCII digits: the quick check of one value or log line."""
    return [run for run in _ASCII_RUN.findall(text) if luhn(run)]


def is_hex_digest(column_name: str, value: object) -> bool:
    return (
        column_name in HEX_DIGEST_COLUMNS
        and isinstance(value, str)
        and _HEX_DIGEST.fullmatch(value) is not None
    )


def pans_in_database(url: str) -> list[tuple[str, str, str]]:
    """(table, column, PAN) for every PAN-looking value in any text column, hex digests of
    the digest columns (`HEX_DIGEST_COLUMNS`) excepted."""
    found = []
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            for table_name in inspector.get_table_names():
                for info in inspector.get_columns(table_name):
                    if not isinstance(info["type"], String | Text):
                        continue
                    name = info["name"]
                    query = select(column(name)).select_from(table(table_name))
                    for (value,) in conn.execute(query):
                        if is_hex_digest(name, value):
                            continue
                        found += [(table_name, name, pan) for pan in pans_in(str(value or ""))]
    finally:
        engine.dispose()
    return found
