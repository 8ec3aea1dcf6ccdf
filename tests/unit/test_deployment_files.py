"""docker-compose.yml: every service we build runs a real CLI command with valid options.

Docker does not run on these machines, so the compose file is checked by parsing it and
resolving each command against the Typer apps, as the CLI itself would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

import pos_simulator.cli
import settlement.cli

ROOT = Path(__file__).resolve().parents[2]
APPS = {"settlement": settlement.cli.app, "pos-sim": pos_simulator.cli.app}


def _services() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return dict(compose["services"])


def resolve(argv: list[str]) -> None:
    """Raise if `argv` is not a command line the CLI accepts."""
    program, *args = argv
    command: Any = typer.main.get_command(APPS[program])
    context = command.make_context(program, list(args), resilient_parsing=True)
    while hasattr(command, "get_command") and args:
        name, args = args[0], args[1:]
        sub = command.get_command(context, name)
        if sub is None:
            raise LookupError(f"{program}: no command {name!r}")
        command = sub
        context = command.make_context(name, list(args), parent=context)


def test_resolve_rejects_unknown_commands_and_options() -> None:
    with pytest.raises(LookupError):
        resolve(["settlement", "no-such-command"])
    with pytest.raises(Exception, match="no-such-option"):
        resolve(["settlement", "gateway", "consume", "--no-such-option"])


BUILT = [name for name, spec in _services().items() if "build" in spec]


def test_compose_has_the_real_mode_services() -> None:
    assert {"postgres", "aws", "gateway", "scheduler"} <= set(_services())
    assert {"gateway", "scheduler"} <= set(BUILT)


@pytest.mark.parametrize("service", BUILT)
def test_each_built_service_runs_a_real_cli_command(service: str) -> None:
    spec = _services()[service]
    command = spec["command"]
    assert isinstance(command, list) and command[0] in APPS
    resolve(command)
    env = spec["environment"]
    assert all(key.startswith(("CARDSETTLE_", "AWS_")) for key in env)


def test_dockerfile_installs_the_package() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install ." in text and "COPY migrations" in text
