"""Reading a file an operator names for the end of day (labels, the fraud rulebook).

One reader for both, so both fail alike: one `BadInput` line naming the file, never a
traceback. A device or pipe is refused before it is read: `/dev/zero`, read whole, never
ends (the process grew until the kernel killed it).
"""

from __future__ import annotations

from pathlib import Path

from settlement.errors import BadInput


def read_input_text(path: Path, what: str) -> str:
    """The UTF-8 text of `path`; `what` names the file in the error ("labels file x.csv")."""
    if path.exists() and not path.is_dir() and not path.is_file():
        raise BadInput(f"{what}: not a regular file (a device, pipe or socket)")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{what}: not UTF-8 text") from None
    except OSError as error:
        raise BadInput(f"{what}: {error.strerror or error}") from None
