"""Dashboard pages over HTTP with a browser session: what each role sees and can do."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opsbook.store.database import Database
from opsbook.web.app import create_app
from opsbook.web.server import build_state


@pytest.fixture
def browser(runbook_path: Path, db: Database) -> Iterator[TestClient]:
    state = build_state(runbook_path, db)
    assert state.worker is not None
    state.worker.poll = 0.05
    with TestClient(create_app(state), base_url="http://127.0.0.1") as client:
        yield client


def sign_in(client: TestClient, token: str) -> str:
    form = client.get("/login").text
    login_csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert login_csrf is not None
    done = client.post(
        "/login", data={"secret": token, "csrf_token": login_csrf.group(1)}, follow_redirects=False
    )
    assert done.status_code == 303
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get("/").text)
    assert csrf is not None
    return csrf.group(1)


def test_overview_shows_system_contacts_procedures_and_live_panels(
    browser: TestClient, tokens: dict[str, str]
) -> None:
    sign_in(browser, tokens["viewer"])
    page = browser.get("/").text
    for text in (
        "Demo Service",
        "Dana Ops (+1 555 0100)",
        "dana@example.com",
        "Startup Procedure",
        "never run",
        "Emergency contacts",
        "Maintenance due",
        "Rotate logs",
    ):
        assert text in page, text
    # Every panel has its domain now (backups and maintenance were the last placeholders).
    assert 'data-panel="backup"' in page and "not live yet" not in page


def test_viewer_sees_no_start_form_and_cannot_post_one(
    browser: TestClient, tokens: dict[str, str]
) -> None:
    csrf = sign_in(browser, tokens["viewer"])
    assert "Start Startup Procedure" not in browser.get("/procedures/startup").text
    refused = browser.post("/procedures/startup/start", data={"csrf_token": csrf})
    assert refused.status_code == 403


@pytest.mark.process
def test_operator_starts_a_run_from_the_form_and_confirms_its_step(
    browser: TestClient, tokens: dict[str, str]
) -> None:
    csrf = sign_in(browser, tokens["operator"])
    assert "Start Startup Procedure" in browser.get("/procedures/startup").text
    started = browser.post(
        "/procedures/startup/start", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert started.status_code == 303
    run_url = started.headers["location"]
    deadline = time.monotonic() + 20
    while "Waiting for a person" not in (live := browser.get(run_url + "/live").text):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert "Check the console by eye" in live and "Confirm: it is done" in live
    forged = browser.post(run_url + "/confirm", data={"decision": "confirm", "csrf_token": "x"})
    assert forged.status_code == 403
    browser.post(run_url + "/confirm", data={"decision": "confirm", "csrf_token": csrf})
    while 'data-status="succeeded"' not in (live := browser.get(run_url + "/live").text):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert "hx-trigger" not in live  # finished: the page stops polling
    assert "started\n" in live and "operator-user" in live
    assert "succeeded" in browser.get("/runs").text


def test_a_run_that_cannot_start_shows_why_on_the_procedure_page(
    browser: TestClient, tokens: dict[str, str]
) -> None:
    csrf = sign_in(browser, tokens["operator"])
    page = browser.post("/procedures/deploy/start", data={"csrf_token": csrf})
    assert page.status_code == 422
    assert "The run cannot start" in page.text and "VERSION is required" in page.text


def test_admin_creates_a_token_on_the_tokens_page_and_sees_it_once(
    browser: TestClient, tokens: dict[str, str]
) -> None:
    csrf = sign_in(browser, tokens["admin"])
    made = browser.post("/tokens", data={"name": "grafana", "role": "viewer", "csrf_token": csrf})
    assert made.status_code == 201
    token = re.search(r"(opsb_[A-Za-z0-9_-]+)", made.text)
    assert token is not None
    assert token.group(1) not in browser.get("/tokens").text
    assert (
        browser.get("/api/v1/me", headers={"Authorization": f"Bearer {token.group(1)}"}).json()[
            "name"
        ]
        == "grafana"
    )


def test_unknown_pages_say_so_in_html(browser: TestClient, tokens: dict[str, str]) -> None:
    sign_in(browser, tokens["viewer"])
    missing = browser.get("/procedures/nope", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "no procedure" in missing.text
    assert browser.get("/tokens", headers={"Accept": "text/html"}).status_code == 403


def test_step_attributes_read_as_written(browser: TestClient, tokens: dict[str, str]) -> None:
    from opsbook.web.templating import TEMPLATES

    attr_text = TEMPLATES.env.globals["attr_text"]
    assert attr_text("timeout", 60.0) == "timeout=1m"
    assert attr_text("delay", 2.0) == "delay=2s"
    assert attr_text("approvals", 2) == "approvals=2"
    sign_in(browser, tokens["viewer"])
    assert "<code>approvals=2</code>" in browser.get("/procedures/deploy").text
