"""The live view in a real browser: headless Chromium loads the page served by the dashboard
over a database a demo filled, and every number the page shows (tagged `data-figure`,
`data-consumer`, `data-mode`/`data-bucket`, `data-step`) equals what SQL finds in that
database; no console errors, no horizontal scroll at 900 px, a screenshot is saved.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from settlement.adapters.eod_tables import eod_runs
from settlement.adapters.tables import gateway_batches, rejected_messages, staged_transactions
from settlement.cli import app
from settlement.cli.dashboard import live_view
from settlement.config import load_settings
from settlement.dashboard.state import LATENCY_EDGES_MS
from tests.support.browser import headless_chromium

DAY = "2026-10-14"
WAIT_S = 30  # bounded wait for the page's first polls


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with headless_chromium(tmp_path / "chromium-profile") as driver:
        yield driver


def number(text: str) -> int:
    return int(text.replace(",", "").strip())


def expected_from_sql(url: str) -> dict[str, Any]:
    """The page's figures, counted by SQL of its own (not the view's reads)."""
    engine = create_engine(url)
    b = gateway_batches.c
    try:
        with engine.connect() as conn:
            one = conn.execute
            batches = one(select(b.consumer, b.max_batch, b.received, b.staged, b.duplicates,
                                 b.latency_ms_sum)).all()  # fmt: skip
            expected = {
                "staged": one(select(func.count()).select_from(staged_transactions)).scalar_one(),
                "rejected": one(select(func.count()).select_from(rejected_messages)).scalar_one(),
                "run": one(select(eod_runs.c.status, eod_runs.c.timings_json)).one(),
            }
    finally:
        engine.dispose()
    consumers: dict[str, dict[str, int]] = {}
    histogram = {mode: [0] * (len(LATENCY_EDGES_MS) + 1) for mode in ("batch", "async")}
    for consumer, max_batch, received, staged, duplicates, latency_sum in batches:
        mine = consumers.setdefault(consumer, {"batches": 0, "received": 0, "staged": 0,
                                               "duplicates": 0})  # fmt: skip
        for key, value in (("batches", 1), ("received", received), ("staged", staged),
                           ("duplicates", duplicates)):  # fmt: skip
            mine[key] += value
        if staged:
            bucket = sum(1 for edge in LATENCY_EDGES_MS if latency_sum >= edge * staged)
            histogram["batch" if max_batch > 1 else "async"][bucket] += staged
    expected.update(consumers=consumers, histogram=histogram,
                    received=sum(c["received"] for c in consumers.values()),
                    duplicates=sum(c["duplicates"] for c in consumers.values()))  # fmt: skip
    return expected


def test_live_page_numbers_equal_the_database(browser: Any, tmp_path: Path) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    result = CliRunner().invoke(app, ["demo", "-n", "300", "--no-compare"])
    assert result.exit_code == 0, result.output
    settings = load_settings()
    want = expected_from_sql(settings.database_url)
    assert want["staged"] > 0 and want["consumers"]

    with live_view(settings, "127.0.0.1", 0, in_process=True) as url:
        browser.get(url)

        def settled(driver: Any) -> bool:
            link = driver.find_element(By.ID, "report-link")
            return bool(driver.find_element(By.TAG_NAME, "body").get_attribute("data-updated")
                        and link.is_displayed())  # fmt: skip

        WebDriverWait(browser, WAIT_S, poll_frequency=0.2).until(settled)

        def page_matches() -> None:
            def figure(name: str) -> Any:
                return browser.find_element(By.CSS_SELECTOR, f'[data-figure="{name}"]')

            for name in ("staged", "rejected", "duplicates"):
                assert number(figure(name).text) == want[name], name
            # The queue is this process's moto, drained by the demo: sent = what it received
            assert number(figure("sent").text) == want["received"]
            waiting = [number(figure(n).text) for n in ("in_queue", "in_flight", "dead_lettered")]
            assert waiting == [0, 0, 0]
            rows = browser.find_elements(By.CSS_SELECTOR, "tr[data-consumer]")
            assert {row.get_attribute("data-consumer") for row in rows} == set(want["consumers"])
            for row in rows:
                mine = want["consumers"][row.get_attribute("data-consumer")]
                for key, value in mine.items():
                    cell = row.find_element(By.CSS_SELECTOR, f'[data-figure="{key}"]')
                    assert number(cell.text) == value, key
            for mode, counts in want["histogram"].items():  # in a <details>: read, not seen
                cells = browser.find_elements(By.CSS_SELECTOR, f'td[data-mode="{mode}"]')
                assert [number(c.get_attribute("textContent")) for c in cells] == counts, mode
            status, timings_json = want["run"]
            assert figure("eod-status").text == status == "completed"
            assert figure("eod-date").text == DAY
            done = browser.find_elements(By.CSS_SELECTOR, "li[data-step]")
            steps = [li.get_attribute("data-step") for li in done]
            assert steps == list(json.loads(timings_json)) and "reconcile" in steps
            link = browser.find_element(By.ID, "report-link")
            assert link.get_attribute("href") == f"{url}reports/{DAY}/report.html"
            assert figure("queue-problem").text == "" and figure("database-problem").text == ""

        # The page re-renders about once a second: an element read across a re-render is
        # stale, so the whole page is read again (the numbers do not change any more).
        for attempt in range(5):
            try:
                page_matches()
                break
            except StaleElementReferenceException:
                if attempt == 4:
                    raise
        assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
        link = browser.find_element(By.ID, "report-link")

        browser.set_window_size(900, 1400)
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 900, f"the page is {width} px wide at 900"
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(900, min(int(height) + 100, 4_000))
        screenshot = tmp_path / "dashboard.png"
        assert browser.save_screenshot(str(screenshot))
        assert screenshot.stat().st_size > 20_000

        link.click()
        WebDriverWait(browser, WAIT_S).until(lambda d: DAY in d.title)
