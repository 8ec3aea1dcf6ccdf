"""report.html in a real browser: headless Chromium (Debian `chromium` + `chromium-driver`,
driven by Selenium) loads the file with no console errors, every number tagged with
`data-summary-key` reads the same as summary.json, the page fits a 900 px window (tables
scroll in their own box), the ledger is collapsed on screen and printed open, and the page
is as tall for a day four times busier (every growing table shows its largest rows only).

Locally the test skips when Chromium is missing; under CI=true it fails (`.ci/run` installs it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from typer.testing import CliRunner

from settlement.cli import app
from settlement.domain.money import Money
from tests.support.browser import headless_chromium
from tests.support.report_files import summary_value, write_sample_comparison
from tests.support.reports import generate_small_day, settled_day, write_day_reports


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
    assert headings[:3] == [
        "1. The day at a glance",
        "2. The gateway",
        "3. Batch vs asynchronous consumption",
    ]
    tagged = browser.find_elements(By.CSS_SELECTOR, "[data-summary-key]")
    assert len(tagged) > 20
    for element in tagged:
        key = element.get_attribute("data-summary-key")
        text = element.get_attribute("textContent")
        value = shown(text, element.get_attribute("data-currency"))
        assert value == summary_value(summary, key), key
    keys = {element.get_attribute("data-summary-key") for element in tagged}
    assert {"gateway.received", "gateway.staged", "gateway.duplicates", "gateway.rejected"} <= keys
    kpi = browser.find_element(By.CSS_SELECTOR, '[data-summary-key="counts.staged"]')
    assert kpi.is_displayed() and shown(kpi.text, None) == summary["counts"]["staged"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart")) >= 5
    for link in browser.find_elements(By.CSS_SELECTOR, ".files a"):
        href = link.get_attribute("href")  # resolved by the browser: a file:// beside the page
        assert href.startswith("file://") and Path(href.removeprefix("file://")).is_file()
    check_900_px_and_print(browser)

    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(int(height), 16_000))
    screenshot = tmp_path / "report.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 50_000


def check_900_px_and_print(browser: Any) -> None:
    """At 900 px nothing overflows the page sideways (a wide table scrolls in its own box);
    the first screen tells the story; the ledger is collapsed on screen and open in print."""
    from selenium.webdriver.common.by import By

    browser.set_window_size(900, 1000)
    page_w = browser.execute_script("return document.documentElement.scrollWidth")
    assert page_w <= browser.execute_script("return document.documentElement.clientWidth")
    story = browser.find_element(By.CSS_SELECTOR, "p.story")
    assert story.location["y"] + story.size["height"] < 1000  # on the first screen
    # checkVisibility: Selenium's is_displayed calls whatever a closed <details> holds
    # hidden, whatever the style sheet says
    ledger_shown = "return document.querySelector('#ledger table').checkVisibility()"
    assert browser.execute_script(ledger_shown) is False
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert browser.execute_script(ledger_shown) is True
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def page_height_px(browser: Any, page: Path) -> int:
    browser.set_window_size(900, 1000)
    browser.get(page.as_uri())
    return int(browser.execute_script("return document.body.scrollHeight"))


def test_the_page_does_not_grow_with_the_day(browser: Any, tmp_path: Path) -> None:
    """The same merchants and cards, four times the transactions: the page is as long and as
    heavy (within the width of its numbers), since every table that grows with the day lists
    its largest rows and links the CSV for the rest."""
    day = date(2026, 10, 14)
    pages = []
    for transactions in (1_500, 6_000):
        workdir = tmp_path / str(transactions)
        generate_small_day(workdir, day, transactions=transactions)
        url = f"sqlite:///{workdir / 'day.db'}"
        with settled_day(url, workdir, workdir / "reports", day) as (engine, settings):
            pages.append(write_day_reports(engine, settings, day).html)
    small, large = (page.stat().st_size for page in pages)
    small_px, large_px = (page_height_px(browser, page) for page in pages)
    print(f"report.html at 1,500 / 6,000 transactions: {small:,} / {large:,} bytes, "
          f"{small_px:,} / {large_px:,} px at 900 px")  # fmt: skip
    assert large <= small * 1.05, (small, large)
    assert large_px <= small_px * 1.05, (small_px, large_px)
