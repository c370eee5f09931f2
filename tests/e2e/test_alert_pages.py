"""A long alert list pages in real Chromium: 5,000 stored alerts, 100 to a page, the total
said once, Older and Newest links that walk the list without repeating an alert."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from opsbook.access import service as access
from opsbook.access.roles import Role
from opsbook.monitoring import service
from opsbook.monitoring.alertmanager import AmPayload
from opsbook.runbook.parser import parse_runbook
from opsbook.store.database import Database
from tests.e2e.chromium import launched_chromium, signed_in_page
from tests.monitoring.conftest import am_alert, am_payload
from tests.monitoring.live import serving_process

pytestmark = pytest.mark.e2e
ALERTS = 5_000


@pytest.fixture
def browser() -> Iterator[Any]:
    yield from launched_chromium()


def test_five_thousand_alerts_page_a_hundred_at_a_time(
    tmp_path: Path, db: Database, browser: Any
) -> None:
    from playwright.sync_api import expect

    runbook = tmp_path / "RUNBOOK.md"
    runbook.write_text("# Shop Runbook\n")
    book = parse_runbook(runbook.read_text(), str(runbook))
    now = datetime.now(UTC) - timedelta(hours=1)
    payloads = [
        AmPayload.model_validate(am_payload([am_alert(i) for i in range(start, start + 100)]))
        for start in range(0, ALERTS, 100)
    ]
    service.ingest_many(db=db, payloads=payloads, runbook=book, now=now)
    _, token = access.create_token(
        db, name="ana", role=Role.VIEWER, created_by="test", now=datetime.now(UTC)
    )
    with serving_process(runbook, db.url) as base:
        page, problems = signed_in_page(browser, base, token)
        page.goto(base + "/alerts?state=firing")
        expect(page.get_by_test_id("alerts-total")).to_have_text("5,000 firing alerts")
        rows = page.locator('[data-testid="alerts"] tbody tr')
        expect(rows).to_have_count(100)
        expect(page.get_by_test_id("alerts-shown")).to_have_text("100 shown of 5,000")
        seen = set(rows.evaluate_all("rows => rows.map(r => r.dataset.alert)"))
        for _ in range(2):
            page.get_by_test_id("older").click()
            expect(rows).to_have_count(100)
            seen |= set(rows.evaluate_all("rows => rows.map(r => r.dataset.alert)"))
        assert len(seen) == 300  # three pages, no alert twice
        page.get_by_role("link", name="« Newest").click()
        expect(page.get_by_test_id("alerts-shown")).to_have_text("100 shown of 5,000")
        assert "cursor" not in page.url
        assert problems == []
