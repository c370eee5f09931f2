"""The dashboard true at a glance, in real headless Chromium against a serving process: a
pending alert over its critical line shows critical, times read relative with the exact
time on hover, and a chart with one sample spans the last hour, not years."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from opsbook.access import service as access
from opsbook.access.roles import Role
from opsbook.store.database import Database
from tests.e2e.chromium import launched_chromium, signed_in_page
from tests.monitoring.live import serving_process
from tests.monitoring.test_pages_browser import RUNBOOK as QUEUE_RUNBOOK

pytestmark = pytest.mark.e2e

# The monitoring pages' runbook, collected once an hour: the chart has one sample, and the
# alert stays pending (its hold: 10 minutes).
RUNBOOK = (
    QUEUE_RUNBOOK.replace("interval: 1s", "interval: 1h")
    .replace("| 2s |", "| 10 minutes |")
    .split("## Troubleshooting Guide")[0]
)
assert "interval: 1h" in RUNBOOK and "10 minutes" in RUNBOOK
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d|\d\d:\d\d:\d\d\.\d{3,}")


@pytest.fixture
def browser() -> Iterator[Any]:
    yield from launched_chromium()


@pytest.fixture
def signed_in(tmp_path: Path, db: Database, browser: Any) -> Iterator[tuple[Any, str]]:
    """A page signed in to a server whose one metric reads 500 (critical line: 100)."""
    runbook = tmp_path / "RUNBOOK.md"
    runbook.write_text(RUNBOOK)
    (tmp_path / "depth.txt").write_text("500\n")
    _, token = access.create_token(
        db, name="ana", role=Role.OPERATOR, created_by="test", now=datetime.now(UTC)
    )
    with serving_process(runbook, db.url, worker=True) as base:
        page, problems = signed_in_page(browser, base, token)
        row = page.locator("tr", has_text="Queue depth")
        for _ in range(40):
            page.goto(base + "/alerts")
            if row.count():
                break
            time.sleep(0.25)
        yield page, base
        assert problems == []


def test_a_pending_alert_over_its_critical_line_shows_critical(signed_in: tuple[Any, str]) -> None:
    from playwright.sync_api import expect

    page, base = signed_in
    row = page.locator("tr", has_text="Queue depth").first
    expect(row).to_contain_text("pending")
    severity = row.get_by_test_id("severity")
    expect(severity).to_have_text("critical")
    expect(severity).to_have_class(re.compile(r"\bbad\b"))
    expect(row).to_contain_text("Queue depth is 500 (critical: > 100)")

    page.goto(base + "/monitoring")
    badge = page.locator("#m-queue-depth .pill")
    expect(badge).to_have_text("500")
    expect(badge).to_have_class(re.compile(r"\bbad\b"))
    page.goto(base + "/")
    metrics = page.locator('[data-panel="metrics"] li', has_text="Queue depth")
    expect(metrics).to_contain_text("500 (critical: > 100)")
    expect(metrics.locator(".dot")).to_have_class(re.compile(r"\bbad\b"))


def test_times_read_relative_with_the_exact_time_on_hover(signed_in: tuple[Any, str]) -> None:
    from playwright.sync_api import expect

    page, base = signed_in
    since = page.locator("tr", has_text="Queue depth").first.locator("time")
    expect(since).to_have_text(re.compile(r"^(just now|\d+ s ago|\d+ min ago)$"))
    title = since.get_attribute("title") or ""
    assert re.search(r"\d{4}", title) and re.search(r"\d\d:\d\d:\d\d", title), title
    stamp = since.get_attribute("datetime") or ""
    assert abs(datetime.fromisoformat(stamp).timestamp() - time.time()) < 120
    for path in ("/alerts", "/", "/monitoring"):
        page.goto(base + path)
        assert not ISO.search(page.locator("main").inner_text()), path
    page.goto(base + "/alerts")
    page.locator("tr", has_text="Queue depth").first.get_by_role("link").first.click()
    history = page.get_by_test_id("history")
    expect(history.locator("time").first).to_have_text(re.compile(r"ago$|^just now$"))
    assert not ISO.search(history.inner_text())


def test_a_one_sample_chart_spans_the_last_hour(signed_in: tuple[Any, str]) -> None:
    from playwright.sync_api import expect

    page, base = signed_in
    page.goto(base + "/monitoring")
    chart = page.locator('.chart[data-metric="queue-depth"]')
    expect(chart.locator("canvas")).to_have_count(1, timeout=15_000)
    assert chart.get_attribute("data-points") == "1"
    expect(chart).to_have_attribute("data-axis-end", re.compile(r"^\d+(\.\d+)?$"))
    start = float(chart.get_attribute("data-axis-start") or "0")
    end = float(chart.get_attribute("data-axis-end") or "0")
    # The last hour, and on to when the pending alert fires: the hold's 10 minutes.
    assert abs(start - (time.time() - 3600)) < 120
    assert end - start == pytest.approx(3600 + 600, abs=60)
    note = page.locator("#m-queue-depth .chart-note")
    expect(note).to_contain_text("an alert fires after 10 min over a line")
    expect(note).to_contain_text(re.compile(r"Pending: fires in \d+ min"))
