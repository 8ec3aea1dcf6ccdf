"""`settlement lesson` end to end at a small size: the day is screened both ways, lesson.json
and async_holds.csv say when each purchase was held, the lane agreed with the batch, the
terminal shows the side-by-side table, and the report's batch-vs-async section (rendered on
its own until report.html includes it) shows the same numbers as summary.json."""

from __future__ import annotations

import csv
import json
import re
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from moto import mock_aws
from typer.testing import CliRunner

from settlement.cli import app
from settlement.config import load_settings
from settlement.domain.money import Money
from settlement.reports.html import _environment, charts
from settlement.reports.lesson import LessonFormatError, load_lesson
from settlement.reports.summary import build_summary
from tests.support.report_files import summary_value
from tests.support.reports import write_day_reports

DAY = "2026-10-14"
TAGGED = re.compile(r'<span[^>]*data-summary-key="([^"]+)"([^>]*)>([^<]*)</span>')


@pytest.fixture(autouse=True)
def _own_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDSETTLE_S3_BUCKET", f"cardsettle-test-{uuid.uuid4().hex[:12]}")


@pytest.fixture(scope="module")
def lesson_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One lesson run (direct transport: the SQS path is the demo's own, tested there)."""
    where = tmp_path_factory.mktemp("lesson")
    mp = pytest.MonkeyPatch()
    mp.chdir(where)
    mp.setenv("CARDSETTLE_S3_BUCKET", f"cardsettle-test-{uuid.uuid4().hex[:12]}")
    try:
        with mock_aws():
            result = CliRunner().invoke(app, ["lesson", "-n", "600", "--transport", "direct"])
    finally:
        mp.undo()
    assert result.exit_code == 0, result.output
    return where, result.output


def test_the_lesson_records_when_each_purchase_was_held(lesson_run: tuple[Path, str]) -> None:
    where, output = lesson_run
    reports = where / "reports" / DAY
    lesson = json.loads((reports / "lesson.json").read_text())
    assert lesson["schema"] == "cardsettle.lesson.v1"
    assert lesson["agreement"]["equal"] is True and lesson["agreement"]["held"] > 0
    total = lesson["total"]
    assert total["stories"] >= 3
    a, b = total["async"], total["batch"]
    assert a["held_stories"] == b["held_stories"] > 0  # same verdict: only the time differs
    assert a["time_to_hold_s_median"] < b["time_to_hold_s_median"]
    assert (
        a["accepted_before_hold"]["amount_eur_minor"]
        <= b["accepted_before_hold"]["amount_eur_minor"]
    )
    assert isinstance(b["accepted_before_hold"]["amount_eur_minor"], int)
    assert lesson["compute"]["async"]["cpu_us_per_tx"] > 0
    assert {claim["metric"] for claim in lesson["claims"]} >= {"sqs_requests", "latency_ms_p50"}
    for claim in lesson["claims"]:
        assert claim["holds"] or claim["why"], claim  # a contradiction always says why

    with (reports / "async_holds.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    held_async = [row for row in rows if row["held_at_async"]]
    assert len(held_async) == lesson["agreement"]["held"]
    batch_at = datetime.fromisoformat(lesson["batch_held_at"])
    for row in held_async:
        assert row["held_at_batch"] == batch_at.isoformat()
        # held on an arrival at or after its own, and long before the batch
        assert datetime.fromisoformat(row["sent_at"]) <= datetime.fromisoformat(
            row["held_at_async"]
        )
        assert row["action"] in {"review", "decline"} and row["rules"]

    assert "screened on arrival (async) vs at end of day (batch)" in output
    assert "the claims, as measured" in output
    assert "same rules, same verdict" in output and "(equal)" in output
    assert output.rstrip().splitlines()[-1].startswith("report: ")


def shown(text: str, attributes: str) -> int:
    plain = text.replace(",", "").strip()
    return Money.parse(plain, "EUR").amount_minor if "data-currency" in attributes else int(plain)


def test_the_section_shows_what_summary_json_says(
    lesson_run: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    where, _output = lesson_run
    monkeypatch.chdir(where)
    settings = load_settings()
    from settlement.adapters import database

    with database.existing_engine(settings.database_url) as engine:
        written = write_day_reports(engine, settings, datetime.fromisoformat(DAY).date())
    report = written.report
    assert report.lesson is not None and report.comparison is not None
    assert report.lesson.run_id == report.run.run_id
    # a lesson of another end-of-day run of the date (a later demo, a rerun) is not shown
    path = written.directory / "lesson.json"
    assert load_lesson(path, "another-run") is None and load_lesson(path, report.run.run_id)
    summary = build_summary(report)
    assert summary == json.loads((written.directory / "summary.json").read_text())
    html = (
        _environment()
        .get_template("_batch_vs_async.html.j2")
        .render(report=report, summary=summary, charts=charts(report))
    )
    tagged = TAGGED.findall(html)
    assert len(tagged) > 30
    for key, attributes, text in tagged:
        assert shown(text, attributes) == summary_value(summary, key), key
    assert "The same fraud rulebook ran two ways" in html and 'href="async_holds.csv"' in html
    page = (written.directory / "report.html").read_text(encoding="utf-8")
    assert "<h2>3. Batch vs asynchronous consumption</h2>" in page
    assert "The same fraud rulebook ran two ways" in page
    for name in ("lesson.json", "async_holds.csv"):  # in the section and the file list
        assert page.count(f'href="{name}"') >= 2, name


def test_every_link_of_the_page_is_a_file_it_was_written_with(
    lesson_run: tuple[Path, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The lesson's section links async_holds.csv and lesson.json: a report written with
    --out elsewhere linked files that were not there, and none uploaded them to S3."""
    where, _output = lesson_run
    monkeypatch.chdir(where)
    settings = load_settings()
    from settlement.adapters import database

    for out in (None, tmp_path / "elsewhere"):
        with database.existing_engine(settings.database_url) as engine:
            written = write_day_reports(engine, settings, datetime.fromisoformat(DAY).date(), out)
        page = (written.directory / "report.html").read_text(encoding="utf-8")
        beside = {link for link in re.findall(r'href="([^"#][^"]*)"', page) if "/" not in link}
        assert {"async_holds.csv", "lesson.json"} <= beside
        assert beside == {path.name for path in written.files} - {"report.html"}, out
        assert all(path.is_file() for path in written.files)


def test_a_malformed_lesson_is_refused_loudly(tmp_path: Path) -> None:
    path = tmp_path / "lesson.json"
    assert load_lesson(path) is None
    for text in (
        "{",
        "[]",
        '{"schema": "cardsettle.lesson.v0"}',
        '{"schema": "cardsettle.lesson.v1"}',
    ):
        path.write_text(text)
        with pytest.raises(LessonFormatError, match="not a `settlement lesson` result"):
            load_lesson(path)


def test_the_lesson_refuses_an_unwritable_reports_directory_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARDSETTLE_REPORTS_DIR", "/proc/cardsettle-reports")
    with mock_aws():
        result = CliRunner().invoke(app, ["lesson", "-n", "50", "--transport", "direct"])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"error: cannot write /proc/cardsettle-reports/{DAY}/lesson.json: No such file or directory"
    ]
    assert not (tmp_path / "demo").exists()  # nothing generated, nothing measured


def test_a_lane_that_disagrees_with_the_batch_fails_the_lesson(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same rules on the same data must give the same holds: a difference is a defect, and
    the command says so (exit 1, one line on stderr) instead of teaching from it."""
    from settlement.compare import lane_replay

    honest = lane_replay.agreement_of

    def broken(lane: object, batch: object) -> dict[str, object]:
        return {**honest(lane, batch), "equal": False, "differing_decisions": 1}  # type: ignore[arg-type]

    monkeypatch.setattr(lane_replay, "agreement_of", broken)
    monkeypatch.chdir(tmp_path)
    with mock_aws():
        result = CliRunner().invoke(app, ["lesson", "-n", "200", "--transport", "direct"])
    assert result.exit_code == 1, result.output
    assert "error: the async lane's holds differ from the batch's" in result.output
    assert "NOT EQUAL" in result.output


def test_a_claim_with_nothing_measured_shows_a_dash() -> None:
    from settlement.reports.lesson import ClaimRow

    claim = ClaimRow("fraud_time_to_hold", "time to hold", "async", "s", None, "125",
                     "none", False, None)  # fmt: skip
    assert claim.text("async") == "–" and claim.text("batch") == "2 min 05 s"


@pytest.mark.parametrize(
    ("command", "blocked"),
    [("lesson", "compare.json"), ("lesson", f"{DAY}/async_holds.csv"), ("demo", "compare.json")],
)
def test_every_file_the_day_writes_is_checked_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, blocked: str
) -> None:
    """compare.json (written by the compare-modes step) and async_holds.csv that cannot be
    written failed the lesson (and the demo) after the day was simulated, settled and
    measured: exit 2 only then, the end of day committed and no report."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", f"sqlite:///{tmp_path / 'day.db'}")
    monkeypatch.setenv("CARDSETTLE_REPORTS_DIR", str(tmp_path / "reports"))
    (tmp_path / "reports" / blocked).mkdir(parents=True)  # a directory where the file goes
    with mock_aws():
        result = CliRunner().invoke(app, [command, "-n", "50", "--transport", "direct"])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"error: cannot write {tmp_path / 'reports' / blocked}: it is a directory (name a file,"
        " e.g. compare.json)"
    ]
    assert not (tmp_path / "demo").exists() and not (tmp_path / "day.db").exists()
