"""report.html in a real browser: headless Chromium (Debian `chromium` + `chromium-driver`,
driven by Selenium) loads the file with no console errors, every number tagged with
`data-summary-key` reads the same as summary.json, and a screenshot is saved.

Locally the test skips when Chromium is missing; under CI=true it fails (`.ci/run` installs it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from typer.testing import CliRunner

from settlement.cli import app
from settlement.domain.money import Money
from tests.support.browser import headless_chromium
from tests.support.report_files import summary_value, write_sample_comparison


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with headless_chromium(tmp_path / "chromium-profile") as driver:
        yield driver


def shown(text: str, currency: str | None) -> int:
    plain = text.replace(",", "").strip()
    return Money.parse(plain, currency).amount_minor if currency else int(plain)


def test_report_renders_in_chromium(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    write_sample_comparison(Path("reports/compare.json"))
    with mock_aws():
        result = CliRunner().invoke(
            app, ["demo", "-n", "300", "--no-compare", "--transport", "direct"]
        )
    assert result.exit_code == 0, result.output
    report = Path("reports/2026-10-14/report.html").resolve()
    summary = json.loads((report.parent / "summary.json").read_text())

    browser.get(report.as_uri())
    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []
    assert browser.title == "Settlement report 2026-10-14"
    headings = [h.text for h in browser.find_elements(By.TAG_NAME, "h2")]
    assert headings[0] == "1. The day at a glance"
    assert "7. Batch vs asynchronous consumption" in headings
    tagged = browser.find_elements(By.CSS_SELECTOR, "[data-summary-key]")
    assert len(tagged) > 20
    for element in tagged:
        key = element.get_attribute("data-summary-key")
        text = element.get_attribute("textContent")
        value = shown(text, element.get_attribute("data-currency"))
        assert value == summary_value(summary, key), key
    kpi = browser.find_element(By.CSS_SELECTOR, '[data-summary-key="counts.staged"]')
    assert kpi.is_displayed() and shown(kpi.text, None) == summary["counts"]["staged"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart")) >= 5

    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(int(height), 16_000))
    screenshot = tmp_path / "report.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 50_000
