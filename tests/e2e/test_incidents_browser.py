"""In real headless Chromium against a real `opsbook serve`: open an incident, watch the
countdown run, acknowledge it."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.chromium import launched_chromium

ROOT = Path(__file__).parents[2]
ARTIFACTS = ROOT / "test-artifacts"
pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Start `opsbook serve` on the example runbook; yield its URL and an admin token."""
    shutil.copytree(
        ROOT / "examples" / "tinyweb",
        tmp_path / "tinyweb",
        ignore=shutil.ignore_patterns("var", ".opsbook"),
    )
    book = tmp_path / "tinyweb" / "RUNBOOK.md"
    port = _free_port()
    env = {**os.environ, "OPSBOOK_HOME": str(tmp_path / "state"), "NO_COLOR": "1"}
    env.pop("OPSBOOK_DATABASE_URL", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "opsbook",
            "serve",
            str(book),
            "--port",
            str(port),
            "--bootstrap-admin",
            "browser-admin",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    token, url = "", f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not token:
            line = process.stdout.readline()
            found = re.search(r"(opsb_\S+)", line)
            token = found.group(1) if found else ""
            assert line or process.poll() is None, "opsbook serve exited early"
        assert token, "opsbook serve printed no admin token"
        import httpx

        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def browser() -> Iterator[Any]:
    yield from launched_chromium()


def test_open_an_incident_see_the_countdown_and_acknowledge_it(
    server: tuple[str, str], tmp_path: Path, browser: Any
) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    url, token = server
    errors: list[str] = []
    page = browser.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/login?next=/incidents")
    page.fill("#secret", token)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(f"{url}/incidents")

    page.select_option("[data-testid=severity]", "SEV-2")
    page.fill("[data-testid=title]", "Items missing after deploy")
    page.locator("[data-testid=open-form] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/incidents/\d+$"))
    expect(page.locator("h1")).to_contain_text("Items missing after deploy")
    expect(page.get_by_test_id("severity")).to_have_text("SEV-2")
    expect(page.get_by_test_id("status")).to_have_text("detected")

    countdown = page.get_by_test_id("countdown")
    expect(countdown).to_have_text(re.compile(r"^respond within 59:\d\d$"))
    first = countdown.inner_text()
    page.wait_for_timeout(2100)
    assert countdown.inner_text() != first  # it is live, ticking down

    page.get_by_test_id("ack").click()
    expect(page.get_by_test_id("status")).to_have_text("acknowledged")
    expect(page.get_by_test_id("acknowledged")).to_contain_text("browser-admin")
    expect(page.get_by_test_id("countdown")).to_have_count(0)
    expect(page.get_by_test_id("timeline")).to_contain_text("Acknowledged by browser-admin")

    # The suggested diagnosis runs on the server's worker; its output joins the timeline.
    page.get_by_test_id("diagnose-items-missing-or-unreadable").click()
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Started the diagnosis of Items missing or unreadable")
    expect(timeline).to_contain_text(
        re.compile(r"Run \d+ \(items-missing-or-unreadable:diagnosis\) succeeded"),
        timeout=45_000,
    )
    expect(timeline).to_contain_text("$ bin/tinyweb count")
    page.screenshot(path=str(ARTIFACTS / "incident.png"), full_page=True)

    page.goto(f"{url}/")
    expect(page.locator("[data-panel=incidents]")).to_contain_text("Items missing after deploy")
    assert errors == []
