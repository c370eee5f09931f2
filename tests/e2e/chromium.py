"""Debian's Chromium driven by Playwright, for the browser tests; CI fails without it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launched_chromium() -> Iterator[Any]:
    """Yield a launched headless Chromium (for a fixture of any scope); close it after.

    Without the program the test is skipped, or failed under CI=true.
    """
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; `make system-deps` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (make system-deps installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def signed_in_page(browser: Any, base: str, token: str) -> tuple[Any, list[str]]:
    """Return a new desktop-sized page signed in with `token`, and the list its console
    errors and page errors are collected in."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(base + "/login")
    page.get_by_label("Password or access token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    return page, problems
