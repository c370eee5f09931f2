"""A viewer reads the runbook through the API and the page and sees no credential."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.runbook.secret_canaries import RUNBOOK, VISIBLE, assert_no_canary
from tests.web.conftest import bearer


@pytest.fixture
def runbook_path(tmp_path: Path) -> Path:
    target = tmp_path / "RUNBOOK.md"
    target.write_text(RUNBOOK)
    return target


def test_a_viewer_reads_no_credential_through_the_api(
    client: TestClient, tokens: dict[str, str]
) -> None:
    auth = bearer(tokens["viewer"])
    everything = ""
    for url in ("/api/v1/runbook", "/api/v1/procedures", "/api/v1/procedures/deploy"):
        response = client.get(url, headers=auth)
        assert response.status_code == 200, (url, response.text)
        assert_no_canary(response.text)
        everything += response.text
    for kept in VISIBLE:
        assert kept in everything, kept


def test_a_viewer_reads_no_credential_on_the_runbook_and_procedure_pages(
    client: TestClient, tokens: dict[str, str]
) -> None:
    auth = bearer(tokens["viewer"])
    for url in ("/runbook", "/procedures", "/procedures/deploy"):
        response = client.get(url, headers=auth)
        assert response.status_code == 200, (url, response.text)
        assert_no_canary(response.text)


def test_the_start_form_an_operator_sees_holds_no_secret_default(
    client: TestClient, tokens: dict[str, str]
) -> None:
    response = client.get("/procedures/deploy", headers=bearer(tokens["operator"]))
    assert response.status_code == 200
    assert 'name="param_DEPLOY_TOKEN"' in response.text  # the form is there
    assert "default set (not shown)" in response.text
    assert_no_canary(response.text)
