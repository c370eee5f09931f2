"""A new user deploys tinyweb from the dashboard through its gates, in real Chromium.

The example system, copied: release 1.1.0 goes through the Deployment Procedure's gates
(the release's self-test, tinyweb healthy for a while, an approval by the Operations Lead
given on the run's page by a second user who holds the role) and goes live. A planted bad
release 1.2.0 (its /items breaks once two items are stored, which its self-test does not
see) passes the restart, breaks the held post-deployment check, and the Rollback Plan puts
1.1.0 back: tinyweb answers with the old release.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.chromium import launched_chromium
from tests.e2e.dashboard_server import ROOT, Served, serve_example, stop_example

pytestmark = pytest.mark.e2e
ARTIFACTS = ROOT / "test-artifacts"
GOOD_ITEMS = "self.reply_json(200, self.server.cache.get(self.server.store))"
BAD_ITEMS = (
    "self.reply_json(200, items) if len(items := self.server.cache.get(self.server.store)) < 2"
    ' else self.error(500, "planted bug: /items breaks past one item")'
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = serve_example(tmp_path, point_at_tinyweb=True)
    yield server
    stop_example(server)


@pytest.fixture
def browser() -> Iterator[object]:
    yield from launched_chromium()


def _tinyweb(served: Served, *args: str) -> str:
    done = subprocess.run(
        [str(served.home / "bin" / "tinyweb"), *args],
        cwd=served.home,
        env=served.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def _signed_in(browser: Any, served: Served, token: str) -> Any:
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(served.url + "/login")
    page.get_by_label("Password or access token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_contain_text("tinyweb")
    return page


def _confirm(page: Any, text: str) -> None:
    from playwright.sync_api import expect

    waiting = page.locator(".card.waiting:not(.gate)")
    expect(waiting).to_contain_text(text, timeout=60_000)
    waiting.get_by_role("button", name="Confirm: it is done").click()


def _deploy(admin: Any, lena: Any, version: str, shots: str) -> str:
    """Start a deployment of the version as the admin; answer its gates; return the run URL."""
    from playwright.sync_api import expect

    admin.get_by_role("link", name="Procedures").click()
    admin.get_by_role("link", name="Deployment Procedure").first.click()
    admin.fill("#param_VERSION", version)
    admin.get_by_role("button", name="Start Deployment Procedure").click()
    expect(admin.locator("h1")).to_contain_text("Run #")
    run_url = admin.url
    _confirm(admin, "Code review complete")
    _confirm(admin, "Security scan clean")
    gate = admin.locator("section.gate")
    expect(gate).to_contain_text("Operations Lead", timeout=60_000)
    expect(gate).to_contain_text("do not hold the Operations Lead role")
    admin.screenshot(path=str(ARTIFACTS / f"{shots}-gate-waits.png"), full_page=True)

    lena.goto(run_url)
    lena.get_by_role("button", name="Approve as lena.vogel").click()
    expect(lena.locator("section.gate")).to_have_count(0)
    _confirm(admin, "Restart onto the new release")
    return run_url


def test_a_new_user_deploys_through_gates_and_a_bad_release_rolls_back(
    served: Served, browser: object
) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    _tinyweb(served, "release", "build", "1.1.0")
    code = (served.home / "tinyweb.py").read_text()
    assert GOOD_ITEMS in code
    bad = served.home / "var" / "releases" / "1.2.0" / "tinyweb.py"
    bad.parent.mkdir(parents=True)
    bad.write_text(code.replace(GOOD_ITEMS, BAD_ITEMS))
    _tinyweb(served, "start")
    tinyweb = f"http://127.0.0.1:{served.env['TINYWEB_PORT']}"
    created = subprocess.run(
        [
            str(Path(served.env["PATH"].split(":")[0]) / "opsbook"),
            *("token", "create", "--name", "lena.vogel", "--role", "operator"),
            *("-f", str(served.home / "RUNBOOK.md")),
        ],
        env=served.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lena_token = re.search(r"opsb_[A-Za-z0-9_-]+", created.stdout)
    assert lena_token is not None, created.stdout

    assert isinstance(browser, object)
    admin = _signed_in(browser, served, served.token)
    lena = _signed_in(browser, served, lena_token.group(0))

    _deploy(admin, lena, "1.1.0", "good")
    live = admin.locator("#run-live")
    expect(live).to_have_attribute("data-status", "succeeded", timeout=90_000)
    expect(live).to_contain_text("passed by lena.vogel")
    expect(live).to_contain_text("held:")
    admin.screenshot(path=str(ARTIFACTS / "good-deployed.png"), full_page=True)
    assert httpx.get(f"{tinyweb}/health").json()["version"] == "1.1.0"
    admin.get_by_role("link", name="Overview").click()
    expect(admin.locator("[data-panel=deployments]")).to_contain_text("1.1.0")

    for name in ("apple", "pear"):  # the planted bug shows past one item
        httpx.post(f"{tinyweb}/items", json={"name": name}).raise_for_status()
    _deploy(admin, lena, "1.2.0", "bad")
    expect(live).to_have_attribute("data-status", re.compile("failed|rolled"), timeout=90_000)
    expect(live).to_contain_text("rolled back")
    expect(live).to_contain_text("broken: value 0 at")
    admin.screenshot(path=str(ARTIFACTS / "bad-rolled-back.png"), full_page=True)
    assert httpx.get(f"{tinyweb}/health").json()["version"] == "1.1.0"
    assert httpx.get(f"{tinyweb}/items").status_code == 200
    admin.get_by_role("link", name="Overview").click()
    panel = admin.locator("[data-panel=deployments]")
    expect(panel).to_contain_text("1.1.0")
    expect(panel).to_contain_text("1.2.0 rolled-back")
    admin.screenshot(path=str(ARTIFACTS / "overview-after-rollback.png"), full_page=True)
