"""Every `settlement` command imports every command module to register it, so those modules
must import their heavy dependencies inside the commands. Measured on the 2-core machine,
`settlement config` went from ~1.5-2.3 s to ~0.6-0.8 s when they did.

Checked in a fresh interpreter, because this test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys

# What `settlement config` must not load: each costs 0.1-0.7 s and none is needed to print
# the settings. (SQLAlchemy stays: settings validate the database URL with it.)
HEAVY = ("alembic", "aws_lambda_powertools", "boto3", "botocore", "faker", "jinja2", "moto",
         "pos_simulator", "settlement.eod", "settlement.gateway", "settlement.reports")  # fmt: skip

PROBE = """
import json, sys
from typer.testing import CliRunner
from settlement.cli import app
result = CliRunner().invoke(app, ["config"])
assert result.exit_code == 0, result.output
print(json.dumps(sorted(sys.modules)))
"""


def test_settlement_config_imports_nothing_heavy() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    loaded = json.loads(done.stdout.splitlines()[-1])
    heavy = sorted(
        {h for h in HEAVY for module in loaded if module == h or module.startswith(h + ".")}
    )
    assert heavy == [], f"`settlement config` imported {heavy}"
