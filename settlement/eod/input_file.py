"""Reading a file an operator names for the end of day (labels, the fraud rulebook).

One reader for both, so both fail alike: one `BadInput` line naming the file, never a
traceback. A device or pipe is refused before it is read: `/dev/zero`, read whole, never
ends (the process grew until the kernel killed it).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from settlement.errors import BadInput

_CHUNK_BYTES = 1 << 20


def read_input_text(path: Path, what: str) -> str:
    """The UTF-8 text of `path`; `what` names the file in the error ("labels file x.csv")."""
    _regular(path, what)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{what}: not UTF-8 text") from None
    except OSError as error:
        raise BadInput(f"{what}: {error.strerror or error}") from None


def read_input_lines(path: Path, what: str) -> Iterator[str]:
    """The lines of `path` as `read_input_text(...).splitlines()` gives them, streamed.

    Why: a million-line labels file read whole held its text and its list of lines at once
    (~140 MB). The file is checked to be UTF-8 first, in pieces, so that a file that is not
    fails with the same error as when read whole, before any of its lines is used."""
    _regular(path, what)
    try:
        decoder = codecs.getincrementaldecoder("utf-8")()
        with path.open("rb") as raw:
            while chunk := raw.read(_CHUNK_BYTES):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
        with path.open(encoding="utf-8", newline="") as handle:
            for piece in handle:  # split at \n, \r and \r\n, kept: splitlines splits more
                yield from piece.splitlines()
    except UnicodeDecodeError:
        raise BadInput(f"{what}: not UTF-8 text") from None
    except OSError as error:
        raise BadInput(f"{what}: {error.strerror or error}") from None


def _regular(path: Path, what: str) -> None:
    if path.exists() and not path.is_dir() and not path.is_file():
        raise BadInput(f"{what}: not a regular file (a device, pipe or socket)")
