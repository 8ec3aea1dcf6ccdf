"""The `settlement` command. With settlement/entrypoints/ (the Lambda handlers, the
scheduler's job) the only place that reads settings and wires engines and clients together.

Each command group lives in its own module of this package and registers itself on `app`.
"""

from settlement.cli import compare as _compare  # noqa: F401  (compare-modes)
from settlement.cli import dashboard as _dashboard  # noqa: F401  (dashboard)
from settlement.cli import db as _db  # noqa: F401  (registers `settlement db ...`)
from settlement.cli import demo as _demo  # noqa: F401  (demo)
from settlement.cli import eod as _eod  # noqa: F401  (eod, scheduler, imports)
from settlement.cli import gateway as _gateway  # noqa: F401  (queues, gateway, dlq, ingest)
from settlement.cli import lesson as _lesson  # noqa: F401  (lesson)
from settlement.cli import realmode as _realmode  # noqa: F401  (aws-local)
from settlement.cli import report as _report  # noqa: F401  (report)
from settlement.cli.app import app, main

__all__ = ["app", "main"]
