"""The docs a newcomer follows stay true: README.md short, every relative link (and its
anchor) reaching something that exists, every page reachable from the README, and the
message contract's field table and example equal to the shipped schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from pos_simulator import contract_reference
from pos_simulator.contract import message_schema

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = sorted([README, ROOT / "bench" / "README.md", *(ROOT / "docs").glob("*.md")])
README_MAX_LINES = 200

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\[[^\]\n]*\]\(([^()\s]+)\)")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)


def prose(text: str) -> str:
    """The text a reader sees as prose: code blocks and code spans removed."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def links(page: Path) -> list[str]:
    return _LINK.findall(prose(page.read_text(encoding="utf-8")))


def github_slug(heading: str, seen: dict[str, int]) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to
    hyphens, a repeated slug numbered (-1, -2, ...)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).lower()  # a link's text only
    slug = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
    count = seen.get(slug, 0)
    seen[slug] = count + 1
    return slug if count == 0 else f"{slug}-{count}"


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    return {github_slug(match, seen) for match in _HEADING.findall(text)}


def relative_targets(page: Path) -> list[tuple[str, Path, str]]:
    """(link as written, the file it names, its anchor or "") of each relative link."""
    found = []
    for link in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", link):  # http:, https:, mailto:
            continue
        path_part, _, anchor = link.partition("#")
        target = (page.parent / path_part).resolve() if path_part else page
        found.append((link, target, anchor))
    return found


def test_the_readme_stays_short() -> None:
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move detail into docs/"


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_reaches_a_file_and_its_heading(page: Path) -> None:
    broken = []
    for link, target, anchor in relative_targets(page):
        if not target.exists():
            broken.append(f"{link}: no such file")
        elif anchor and target.suffix == ".md" and anchor not in anchors(target):
            broken.append(f"{link}: no heading #{anchor} in {target.name}")
    assert broken == [], f"{page.relative_to(ROOT)}: {broken}"


def test_every_page_is_reachable_from_the_readme() -> None:
    reached, todo = {README}, [README]
    while todo:
        for _, target, _ in relative_targets(todo.pop()):
            if target.suffix == ".md" and target.exists() and target not in reached:
                reached.add(target)
                todo.append(target)
    assert [p.relative_to(ROOT) for p in PAGES if p not in reached] == []


def test_the_readme_names_the_commands_a_newcomer_runs() -> None:
    text = README.read_text(encoding="utf-8")
    for command in ("make demo", "make test", "make unit"):
        assert command in text


def test_the_link_checker_sees_a_broken_link_and_anchor(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A title\n\n[x](b.md) [y](#a-title) [z](#nowhere)\n")
    targets = relative_targets(tmp_path / "a.md")
    assert [t.exists() for _, t, _ in targets] == [False, True, True]
    assert {anchor for _, _, anchor in targets} - anchors(tmp_path / "a.md") == {"", "nowhere"}


def test_github_slugs() -> None:
    seen: dict[str, int] = {}
    assert github_slug("Scorecard (`--labels`)", seen) == "scorecard---labels"
    assert github_slug("Simulator (`python -m bench generate`)", seen) == (
        "simulator-python--m-bench-generate"
    )
    assert github_slug("`pos-sim send`", seen) == "pos-sim-send"
    assert github_slug("`pos-sim send`", seen) == "pos-sim-send-1"


def test_the_message_contract_field_table_is_the_shipped_schema() -> None:
    page = contract_reference.DOC_PATH.read_text(encoding="utf-8")
    assert contract_reference.rendered_page(page) == page, (
        "docs/message-contract.md is stale: run python -m pos_simulator.contract_reference"
    )
    for name in message_schema()["properties"]:
        assert f"| `{name}` |" in page


def test_the_message_contract_example_is_valid_against_the_schema() -> None:
    page = contract_reference.DOC_PATH.read_text(encoding="utf-8")
    blocks = re.findall(r"^```json\n(.*?)^```", page, re.MULTILINE | re.DOTALL)
    assert blocks, "docs/message-contract.md shows an example message"
    for block in blocks:
        jsonschema.validate(json.loads(block), message_schema())
