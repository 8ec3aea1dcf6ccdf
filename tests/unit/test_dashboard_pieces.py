"""The live view's pure pieces: bucket labels, per-second bins, which hosts are loopback,
and which report files may be served."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from settlement.dashboard.app import _report_file
from settlement.dashboard.server import is_loopback
from settlement.dashboard.state import LATENCY_EDGES_MS, SERIES_S, bucket_labels, per_second

SINCE = datetime(2026, 12, 3, 12, 0, 0)


def test_bucket_labels_are_short_and_cover_every_bucket() -> None:
    labels = bucket_labels(LATENCY_EDGES_MS)
    assert len(labels) == len(LATENCY_EDGES_MS) + 1
    assert labels[0] == "< 10 ms" and labels[-1] == "≥ 30 s"
    assert "500 ms–1 s" in labels and "1–2.5 s" in labels and "10–50 ms" in labels


def test_per_second_bins_the_window_and_nothing_before_it() -> None:
    def at(seconds: float) -> datetime:
        return SINCE + timedelta(seconds=seconds)

    bins = per_second(
        [(at(0.2), 3), (at(0.9), 1), (at(59.5), 2), (at(75), 4), (at(-1), 100)],
        SINCE,
    )  # fmt: skip
    assert len(bins) == SERIES_S and bins[0] == 4 and bins[-1] == 2 + 4 and sum(bins) == 10


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.9.1", True), ("localhost", True), ("::1", True),
     ("[::1]", True), ("0.0.0.0", False), ("192.168.1.5", False), ("example.org", False)],
)  # fmt: skip
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_only_plain_files_of_a_dated_folder_are_served(tmp_path: Path) -> None:
    day = tmp_path / "2026-10-14"
    day.mkdir()
    (day / "report.html").write_text("ok")
    (day / ".hidden").write_text("no")
    (tmp_path / "payouts-2026-10-14.csv").write_text("no")
    (day / "link.csv").symlink_to(tmp_path / "payouts-2026-10-14.csv")
    assert _report_file(tmp_path, "2026-10-14", "report.html") == (day / "report.html").resolve()
    for when, name in [("2026-10-14", ".hidden"), ("2026-10-14", "../payouts-2026-10-14.csv"),
                       ("2026-10-14", "link.csv"), ("..", "payouts-2026-10-14.csv"),
                       ("2026-10-14", "missing.csv"), ("20261014", "report.html")]:  # fmt: skip
        assert _report_file(tmp_path, when, name) is None, (when, name)


def test_a_dated_folder_that_links_elsewhere_is_not_served(tmp_path: Path) -> None:
    """Another user who may write to the reports directory plants `<date> -> ~operator/x`:
    the dashboard (the operator's process) must not serve the operator's files from it."""
    private = tmp_path / "private"
    private.mkdir()
    (private / "secret.txt").write_text("no")
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "2026-10-15").symlink_to(private)
    assert _report_file(reports, "2026-10-15", "secret.txt") is None


def test_a_reports_dir_that_is_itself_a_link_still_serves(tmp_path: Path) -> None:
    (tmp_path / "real" / "2026-10-14").mkdir(parents=True)
    (tmp_path / "real" / "2026-10-14" / "report.html").write_text("ok")
    (tmp_path / "reports").symlink_to(tmp_path / "real")
    found = _report_file(tmp_path / "reports", "2026-10-14", "report.html")
    assert found == (tmp_path / "real" / "2026-10-14" / "report.html")
