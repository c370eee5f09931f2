"""End to end in real headless Chromium: sign in, start the example system, confirm its
manual step, watch it finish, read its history, stop it again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.chromium import launched_chromium
from tests.e2e.dashboard_server import (
    ROOT,
    Served,
    serve_example,
    stop_example,
)

pytestmark = pytest.mark.e2e
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = serve_example(tmp_path)
    yield server
    stop_example(server)


@pytest.fixture
def browser() -> Iterator[object]:
    yield from launched_chromium()


def run_procedure(page: object, name: str, manual_text: str) -> str:
    """Start a procedure from its page, confirm its manual item, wait for the end."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.get_by_role("link", name="Procedures").click()
    page.get_by_role("link", name=name).first.click()
    page.get_by_role("button", name=f"Start {name}").click()
    expect(page.locator("h1")).to_contain_text("Run #")
    waiting = page.locator(".card.waiting")
    expect(waiting).to_contain_text(manual_text, timeout=30_000)
    page.get_by_role("button", name="Confirm: it is done").click()
    expect(page.locator("#run-live")).to_have_attribute("data-status", "succeeded", timeout=90_000)
    return page.url


def test_start_confirm_watch_and_read_history_of_the_example_system(
    served: Served, browser: object
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(served.url + "/")
    expect(page).to_have_url(served.url + "/login?next=/")
    page.get_by_label("Password or access token").fill(served.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_contain_text("tinyweb")
    expect(page.get_by_role("region", name="Emergency contacts")).to_contain_text("Ana Ruiz")
    expect(page.locator("#procedure-status")).to_contain_text("Startup Procedure")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)

    run_url = run_procedure(page, "Startup Procedure", "Tell the team in the #ops channel")
    live = page.locator("#run-live")
    expect(live).to_contain_text("all 9 items passed")
    expect(live).to_contain_text("confirmed")
    expect(live.locator("li.attempt")).to_have_count(9)

    page.get_by_role("link", name="Runs").first.click()
    row = page.locator("table.list tbody tr").first
    expect(row).to_contain_text("Startup Procedure")
    expect(row).to_contain_text("succeeded")
    row.get_by_role("link").first.click()
    expect(page).to_have_url(run_url)
    page.get_by_text("Output").first.click()
    expect(page.locator("pre.out").first).to_be_visible()

    page.get_by_role("link", name="Overview").click()
    status = page.locator("#procedure-status")
    expect(status).to_contain_text("succeeded")

    run_procedure(page, "Shutdown Procedure", "Notification sent to stakeholders")
    assert problems == [], problems
    context.close()


def test_the_dashboard_reads_well_on_a_phone(served: Served, browser: object) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(served.url + "/login")
    page.get_by_label("Password or access token").fill(served.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_contain_text("tinyweb")
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "() => [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 391)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className)"
    )
    assert width <= 390, f"the overview scrolls sideways on a phone ({width}px): {wide}"
    page.screenshot(path=str(ARTIFACTS / "overview-phone.png"), full_page=True)
    context.close()


def test_sigterm_stops_the_server_cleanly(served: Served) -> None:
    assert served.stop(timeout=30) == 0
