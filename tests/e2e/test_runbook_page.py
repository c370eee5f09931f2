"""The rendered runbook page in real headless Chromium: on a phone, on screen and on paper."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.render_html import render_html
from tests.e2e.chromium import launched_chromium
from tests.runbook.test_render import RICH

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launched_chromium()


PAGE = render_html(parse_runbook(RICH))


def test_on_a_phone_the_page_does_not_scroll_sideways(browser: Any) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.set_content(PAGE)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator(".oncall").is_visible()
    assert page.locator(".contact").first.is_visible()
    box = page.locator(".contact").first.bounding_box()
    assert box is not None and box["width"] > 300  # contact cards stack, full width
    page.close()


def test_on_screen_the_contents_link_to_every_procedure(browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_content(PAGE)
    for name in ("Startup Procedure", "Shutdown Procedure", "Deployment Procedure"):
        link = page.locator("nav.toc").get_by_role("link", name=name)
        target = link.get_attribute("href")
        assert target is not None and page.locator(target).locator("h3").inner_text() == name
    assert page.locator(".rollback").first.is_visible()
    page.close()


def test_on_paper_each_procedure_starts_a_page_and_the_contents_are_left_out(browser: Any) -> None:
    page = browser.new_page()
    page.set_content(PAGE)
    page.emulate_media(media="print")
    assert page.locator("nav.toc").is_hidden()
    breaks = page.eval_on_selector_all(
        ".procedure", "els => els.map(e => getComputedStyle(e).breakBefore)"
    )
    assert breaks[1:] == ["page"] * (len(breaks) - 1)
    pdf = page.pdf(format="A4")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= 1 + len(breaks)
    page.close()
