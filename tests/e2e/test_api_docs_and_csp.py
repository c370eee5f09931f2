"""In real headless Chromium, under the server's own Content-Security-Policy: the API docs
page draws every operation from the vendored Swagger UI and calls the API, and the runbook
page is styled by its stylesheet; neither reports a CSP violation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.chromium import launched_chromium
from tests.e2e.dashboard_server import ROOT
from tests.web.served import bootstrap_token, serve_runbook

pytestmark = pytest.mark.e2e
RUNBOOK = ROOT / "tests" / "web" / "data" / "RUNBOOK.md"
ARTIFACTS = ROOT / "test-artifacts"
# Every CSP violation the page meets, recorded before any of the page's own scripts run.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    home = tmp_path_factory.mktemp("docs")
    process, base = serve_runbook(RUNBOOK, "", home / "state", "--bootstrap-admin", "e2e")
    try:
        yield base, bootstrap_token(process)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launched_chromium()


@pytest.fixture
def page(served: tuple[str, str], browser: Any) -> Iterator[Any]:
    """A signed-in page that records console errors (in `page.errors`) and CSP violations."""
    from playwright.sync_api import expect

    base, token = served
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH_CSP)
    signed_in = context.new_page()
    errors: list[str] = []
    signed_in.errors = errors
    signed_in.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    signed_in.on("pageerror", lambda e: errors.append(str(e)))
    signed_in.goto(base + "/login")
    signed_in.get_by_label("Password or access token").fill(token)
    signed_in.get_by_role("button", name="Sign in").click()
    expect(signed_in.locator("h1")).to_contain_text("Demo Service")
    yield signed_in
    context.close()


def test_the_api_docs_page_lists_every_operation_and_calls_the_api(
    page: Any, served: tuple[str, str]
) -> None:
    from playwright.sync_api import expect

    base, _ = served
    operations = page.request.get(base + "/openapi.json").json()["paths"]
    count = sum(len(methods) for methods in operations.values())
    page.goto(base + "/api/docs")
    expect(page.locator(".opblock")).to_have_count(count, timeout=30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
    health = page.locator("#operations-meta-health_api_v1_health_get")
    health.locator(".opblock-summary").click()
    health.get_by_role("button", name="Try it out").click()
    health.get_by_role("button", name="Execute").click()
    status = health.locator(".live-responses-table td.response-col_status:not(.col_header)")
    expect(status).to_have_text("200")
    expect(health.locator(".live-responses-table")).to_contain_text('"status": "ok"')
    assert page.evaluate("window.__csp") == []
    assert page.errors == []


def test_the_runbook_page_is_styled_without_a_csp_violation(
    page: Any, served: tuple[str, str]
) -> None:
    from playwright.sync_api import expect

    base, _ = served
    page.goto(base + "/runbook")
    header = page.locator(".opsbook-runbook header.top")
    expect(header).to_contain_text("Demo Service")
    # The runbook stylesheet applies: its dark header band, not an unstyled page.
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(18, 38, 63)"
    assert page.evaluate("window.__csp") == []
    assert page.errors == []
