"""The HTML page: what the person on call needs, escaped, secrets hidden."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from markupsafe import escape

from opsbook.runbook.model import Runbook
from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.render_html import render_html
from tests.runbook.strategies import runbooks
from tests.runbook.test_render import RICH


def test_html_page_holds_contacts_procedures_and_commands() -> None:
    page = render_html(parse_runbook(RICH))
    needles = ["Ana Ruiz", "ana@example.com", "Startup Procedure", "Deployment Procedure"]
    needles += ["systemctl restart nginx", "Card charges time out", "SEV-1", "4 hours"]
    for needle in needles:
        assert needle in page
    assert 'href="tel:+15550199"' in page and 'href="mailto:ana@example.com"' in page
    assert page.count('type="checkbox"') == 8  # every prerequisite and validation check
    assert 'class="badge manual"' in page and 'class="rollback"' in page
    assert "<!DOCTYPE html>" in page and "@media print" in page


def test_html_escapes_markup_in_step_text() -> None:
    source = RICH.replace("5. Tell #payments the API is up", "5. Paste <script>alert(1)</script>")
    page = render_html(parse_runbook(source))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_html_never_shows_a_secret_default() -> None:
    source = RICH.replace("- `DRY_RUN`: print only", "- `API_TOKEN` (default: tok-123): a token")
    page = render_html(parse_runbook(source))
    assert "tok-123" not in page and "API_TOKEN" in page
    assert "s3cr3t-default" not in page and "whsec_example" not in page
    assert "8080" in page  # a plain default is shown
    assert re.search(r"PAY_DB_PASSWORD.*?secret", page, re.DOTALL | re.IGNORECASE)


def test_html_escapes_raw_html_in_prose_and_hides_settings() -> None:
    source = """---
database_url: postgresql://app:pa55word@127.0.0.1/app
---
# Tiny

## Purpose

Watch out: <img src=x onerror=alert(1)> and [a link](javascript:alert(1)).
"""
    page = render_html(parse_runbook(source))
    assert "<img" not in page and "&lt;img" in page
    assert 'href="javascript' not in page
    assert "pa55word" not in page


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runbooks())
def test_any_runbook_renders_to_html_with_its_commands_and_no_secret(runbook: Runbook) -> None:
    page = render_html(runbook)
    for proc in runbook.procedures:
        assert f'id="proc-{proc.id}"' in page
        for step in (*proc.prerequisites, *proc.steps, *proc.validation, *proc.rollback):
            assert step.command is None or str(escape(step.command)) in page
    for var in runbook.env_vars:
        assert str(escape(var.name)) in page
        if var.secret and var.default:
            assert var.default not in page


def test_body_fragment_has_scoped_styles_for_embedding() -> None:
    from opsbook.runbook.render_html import STYLESHEET, render_body

    fragment = render_body(parse_runbook(RICH))
    assert "<html" not in fragment and "<body" not in fragment and "<style" not in fragment
    assert '<div class="opsbook-runbook">' in fragment and "Startup Procedure" in fragment
    css = STYLESHEET.read_text(encoding="utf-8")
    for rule in re.findall(r"([^{}]+)\{[^{}]*\}", re.sub(r"@media[^{]+\{", "", css)):
        for selector in rule.split(","):
            assert selector.strip().startswith(".opsbook-runbook"), selector
