"""docs/configuration.md is the code's settings, rendered: every setting, described, with an
example the settings accept, and the committed file equal to a fresh rendering."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic.fields import FieldInfo

from settlement import config_reference
from settlement.config import Settings, load_settings

FIELDS = sorted(Settings.model_fields.items())


def test_the_committed_reference_is_the_rendering_of_the_code() -> None:
    committed = config_reference.DOC_PATH.read_text(encoding="utf-8")
    assert committed == config_reference.render(), (
        "docs/configuration.md is stale: run python -m settlement.config_reference"
    )


def test_every_setting_has_a_row_naming_its_variable() -> None:
    committed = config_reference.DOC_PATH.read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().strip("`") for line in committed.splitlines()
            if line.startswith("| `")}  # fmt: skip
    assert rows == {config_reference.env_name(name) for name, _ in FIELDS}


@pytest.mark.parametrize(("name", "field"), FIELDS, ids=[name for name, _ in FIELDS])
def test_every_setting_is_described(name: str, field: FieldInfo) -> None:
    description = field.description or ""
    assert len(description) >= 10, f"{name}: describe it in Field(description=...)"
    assert description.endswith("."), f"{name}: a description is a sentence"


@pytest.mark.parametrize(("name", "field"), FIELDS, ids=[name for name, _ in FIELDS])
def test_every_example_is_a_value_the_settings_accept(name: str, field: FieldInfo) -> None:
    assert field.examples, f"{name}: give an example in Field(examples=[...])"
    example = config_reference.example(field)
    settings = load_settings(_env_file=None, **{name: example})
    assert getattr(settings, name) != field.default, f"{name}: the example is the default"


def test_a_stale_reference_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "configuration.md"
    stale.write_text("| `CARDSETTLE_DATABASE_URL` | old |\n", encoding="utf-8")
    monkeypatch.setattr(config_reference, "DOC_PATH", stale)
    assert config_reference.main(["--check"]) == 1
    assert "stale" in capsys.readouterr().out
    assert config_reference.main([]) == 0
    assert config_reference.main(["--check"]) == 0
