"""The monitoring pages in real headless Chromium, as an on-call engineer uses them: a metric
goes over its line, the alert fires, someone acknowledges it, the metric comes back, the
alert resolves; the chart draws with its thresholds and the console stays clean."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsbook.access import service as access
from opsbook.access.roles import Role
from opsbook.store.database import Database
from tests.e2e.chromium import launched_chromium, signed_in_page
from tests.monitoring.live import serving_process

pytestmark = pytest.mark.e2e

RUNBOOK = """---
monitoring: {interval: 1s}
---
# Queue Runbook

## Quick Reference

### Key Metrics

- Queue depth: `cmd:cat depth.txt` — jobs waiting

## Standard Operating Procedures

### Monitoring & Alerting

**Alert Thresholds**:

| Metric | Warning | Critical | For | Action |
|--------|---------|----------|-----|--------|
| Queue depth | > 10 | > 100 | 2s | restart the workers |

## Troubleshooting Guide

### Common Issues

#### Issue: Queue backs up

**Symptoms**:
- The Queue depth alert fires

**Diagnosis Steps**:
1. Look at the workers: `ps aux`
"""


@pytest.fixture
def browser() -> Iterator[object]:
    yield from launched_chromium()


def test_alert_fires_is_acknowledged_and_resolves_on_the_dashboard(
    tmp_path: Path, db: Database, browser: object
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    runbook = tmp_path / "RUNBOOK.md"
    runbook.write_text(RUNBOOK)
    depth = tmp_path / "depth.txt"
    depth.write_text("3\n")
    _, token = access.create_token(
        db, name="ana", role=Role.OPERATOR, created_by="test", now=datetime.now(UTC)
    )
    with serving_process(runbook, db.url, worker=True) as base:
        page, problems = signed_in_page(browser, base, token)

        depth.write_text("42\n")
        page.goto(base + "/alerts")
        row = page.locator("tr", has_text="Queue depth")
        for _ in range(30):
            if row.count() and "firing" in row.first.inner_text():
                break
            page.wait_for_timeout(500)
            page.reload()
        expect(row.first).to_contain_text("firing")
        row.first.get_by_role("link", name="Queue depth").click()
        expect(page.get_by_test_id("history")).to_contain_text("pending")
        expect(page.get_by_role("link", name="Queue backs up")).to_be_visible()
        page.get_by_role("button", name="Acknowledge").click()
        expect(page.get_by_test_id("state")).to_have_text("acknowledged")
        expect(page.get_by_test_id("history")).to_contain_text("ana")

        page.goto(base + "/monitoring")
        chart = page.locator('.chart[data-metric="queue-depth"]')
        expect(chart.locator("canvas")).to_have_count(1, timeout=15_000)
        assert int(chart.get_attribute("data-points") or "0") >= 2

        depth.write_text("1\n")
        alert_url = base + "/alerts?state=resolved"
        for _ in range(30):
            page.goto(alert_url)
            if page.locator("tr", has_text="Queue depth").count():
                break
            page.wait_for_timeout(500)
        expect(page.locator("tr", has_text="Queue depth").first).to_contain_text("resolved")
        page.goto(base + "/")
        expect(page.locator('[data-panel="metrics"]')).to_contain_text("Queue depth")
        assert problems == []
