"""As a new user: the example runbook has a rotation; the dashboard in real headless
Chromium says who is on call; a calendar subscribes to the feed over HTTP, and the feed,
read back with a real iCalendar library, holds the shifts `opsbook oncall schedule` lists."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import icalendar
import pytest

from tests.e2e.chromium import launched_chromium
from tests.e2e.dashboard_server import ROOT, Served, serve_example, stop_example

pytestmark = pytest.mark.e2e
ARTIFACTS = ROOT / "test-artifacts"
PEOPLE = ("Ana Ruiz", "Sam Okafor", "Lena Vogel")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = serve_example(tmp_path)
    yield server
    stop_example(server)


@pytest.fixture
def browser() -> Iterator[object]:
    yield from launched_chromium()


def _oncall(served: Served, *args: str) -> object:
    done = subprocess.run(
        [sys.executable, "-m", "opsbook", "oncall", *args, "--json"],
        cwd=served.home,
        env=served.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def test_the_dashboard_shows_who_is_on_call_and_a_calendar_subscribes(
    served: Served, browser: object
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    now = _oncall(served, "now")
    assert isinstance(now, list) and [v["layer"] for v in now] == ["primary", "secondary"]
    primary = now[0]["person"]
    assert primary in PEOPLE

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(served.url + "/")
    page.get_by_label("Password or access token").fill(served.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header .oncall-now")).to_contain_text(f"{primary} (tinyweb)")
    panel = page.locator('[data-panel="oncall"]')
    expect(panel).to_contain_text("tinyweb · primary")
    expect(panel).to_contain_text(primary)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "oncall-overview.png"), full_page=True)
    context.close()

    auth = {"Authorization": f"Bearer {served.token}"}
    made = httpx.post(
        f"{served.url}/api/v1/oncall/feeds", json={"rotation": "tinyweb"}, headers=auth
    )
    assert made.status_code == 201, made.text
    feed = httpx.get(made.json()["url"])  # as a calendar program: no header, no cookie
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(feed.text).walk("VEVENT")
    shown = [(e.decoded("DTSTART"), e.decoded("DTEND"), str(e.get("SUMMARY"))) for e in events]
    start, end = min(s for s, _, _ in shown), max(e for _, e, _ in shown)
    listed = _oncall(served, "schedule", "--from", start.isoformat(), "--to", end.isoformat())
    assert isinstance(listed, list)
    assert shown == [
        (
            datetime.fromisoformat(s["start"]),
            datetime.fromisoformat(s["end"]),
            f"On call: {s['person']} (tinyweb {s['layer']})",
        )
        for s in listed
    ]
    assert httpx.get(made.json()["url"].replace("token=", "token=x")).status_code == 404
