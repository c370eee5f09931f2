"""The redacted runbook readers see: every credential and secret value hidden, the rest kept."""

from __future__ import annotations

import json

from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.redact import hide_url, public_runbook
from opsbook.runbook.render_html import render_html
from opsbook.runbook.serialize import runbook_data
from tests.runbook.secret_canaries import RUNBOOK, VISIBLE, assert_no_canary


def test_runbook_data_shows_no_credential_and_keeps_the_rest() -> None:
    runbook = parse_runbook(RUNBOOK, "RUNBOOK.md")
    text = json.dumps(runbook_data(runbook))
    assert_no_canary(text)
    for kept in VISIBLE:
        assert kept in text, kept


def test_the_html_page_shows_no_credential() -> None:
    assert_no_canary(render_html(parse_runbook(RUNBOOK, "RUNBOOK.md")))


def test_the_parsed_runbook_keeps_its_secrets_for_the_server() -> None:
    runbook = parse_runbook(RUNBOOK, "RUNBOOK.md")
    public_runbook(runbook)
    assert "canary-prom-password" in runbook.settings["prometheus_url"]


def test_hide_url_keeps_where_and_hides_who_and_what() -> None:
    url = "https://u:p@[::1]:8443/services/abc?token=x#frag"
    assert hide_url(url, keep_path=False) == "https://****@[::1]:8443/****?****#****"
    assert hide_url(url, keep_path=True) == "https://****@[::1]:8443/services/abc?****#****"
    assert hide_url("http://prom:9090", keep_path=False) == "http://prom:9090"
    assert hide_url("http://prom:9090/", keep_path=False) == "http://prom:9090/"
    assert hide_url("http://h:notaport/x", keep_path=True) == "****"
