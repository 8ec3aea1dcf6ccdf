"""The `settlement` command: the only place that wires settings, engines and clients together.

Each command group lives in its own module of this package and registers itself on `app`.
"""

from settlement.cli import compare as _compare  # noqa: F401  (compare-modes)
from settlement.cli import db as _db  # noqa: F401  (registers `settlement db ...`)
from settlement.cli import eod as _eod  # noqa: F401  (eod, scheduler, imports)
from settlement.cli import gateway as _gateway  # noqa: F401  (queues, gateway, dlq, ingest)
from settlement.cli.app import app, main

__all__ = ["app", "main"]
