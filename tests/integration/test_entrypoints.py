"""The Lambda handlers live beside each other, named alike, and each cold start imports only
its own stage: neither the CLI (Typer, rich, every command) nor the other handler's modules."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from settlement.entrypoints import lambdas

LOADED = """
import json, sys
import settlement.entrypoints.lambdas as lambdas
{touch}
print(json.dumps(sorted(sys.modules)))
"""


def _modules_after(touch: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED.format(touch=touch)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return set(json.loads(done.stdout))


def test_importing_the_handlers_loads_neither_stage_nor_the_cli() -> None:
    assert callable(lambdas.gateway_handler) and callable(lambdas.eod_handler)
    loaded = _modules_after("")
    assert not {"typer", "rich", "settlement.cli"} & loaded
    assert not {"settlement.gateway.handler", "settlement.eod.run"} & loaded


@pytest.mark.parametrize(
    ("touch", "own", "other"),
    [
        ("from settlement.gateway import handler", "settlement.gateway.handler",
         "settlement.eod.run"),
        ("from settlement.eod import lambda_event", "settlement.eod.run",
         "settlement.gateway.handler"),
    ],
)  # fmt: skip
def test_each_handler_s_stage_leaves_the_other_unloaded(touch: str, own: str, other: str) -> None:
    loaded = _modules_after(touch)
    assert own in loaded and other not in loaded and "typer" not in loaded
