"""Parameters that a shell cannot receive whole (NUL, lone surrogates) are refused by the API
and the start form with 422: nothing is run or stored, and the runs list still reads (SQLite
and PostgreSQL)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opsbook.access import service
from opsbook.access.roles import Role
from opsbook.store.database import Database
from opsbook.web.app import create_app
from opsbook.web.server import build_state
from tests.web.conftest import bearer
from tests.web.test_pages import sign_in

# Reaches the shell's arithmetic and eval if the wire misframes (issue 11, item 1).
ATTACKS = ["1\u0000touch {marker}", "\ud800", "1\u0000\u0000\u0000touch {marker}\u0000"]


@pytest.fixture
def served(runbook_path: Path, database: Database) -> Iterator[TestClient]:
    state = build_state(runbook_path, database)
    assert state.worker is not None
    state.worker.poll = 0.05
    with TestClient(create_app(state), base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture
def operator_token(database: Database) -> str:
    now = datetime.now(UTC)
    _, token = service.create_token(
        database, name="olga", role=Role.OPERATOR, created_by="t", now=now
    )
    return token


def _body(value: str) -> bytes:
    # json.dumps escapes NUL and surrogates as \\u0000 / \\ud800, as an attacker's client does.
    return json.dumps({"params": {"VERSION": value}}).encode()


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_api_refuses_a_parameter_a_shell_cannot_receive_and_runs_nothing(
    served: TestClient, operator_token: str, tmp_path: Path, attack: str
) -> None:
    marker = tmp_path / "pwned"
    headers = {**bearer(operator_token), "Content-Type": "application/json"}
    refused = served.post(
        "/api/v1/procedures/deploy/runs",
        headers=headers,
        content=_body(attack.format(marker=marker)),
    )
    # Refused at the edge (the request guard) before the plan's own check could see it.
    assert refused.status_code == 422, refused.text
    assert "VERSION" in refused.text
    assert "NUL" in refused.text or "Unicode" in refused.text, refused.text
    listed = served.get("/api/v1/runs", headers=bearer(operator_token))
    assert listed.status_code == 200 and listed.json()["total"] == 0
    time.sleep(0.3)  # a worker that had been handed anything would have run it by now
    assert not marker.exists()


@pytest.mark.parametrize("attack", ATTACKS[::2])
def test_the_start_form_refuses_a_parameter_with_a_nul_and_runs_nothing(
    served: TestClient, operator_token: str, tmp_path: Path, attack: str
) -> None:
    marker = tmp_path / "pwned"
    csrf = sign_in(served, operator_token)
    page = served.post(
        "/procedures/deploy/start",
        data={"csrf_token": csrf, "param_VERSION": attack.format(marker=marker)},
        follow_redirects=False,
    )
    assert page.status_code == 422
    assert "param_VERSION' contains a NUL character" in page.text
    assert served.get("/runs").status_code == 200
    listed = served.get("/api/v1/runs", headers=bearer(operator_token)).json()
    assert listed["total"] == 0
    assert not marker.exists()


def test_a_run_stored_with_a_lone_surrogate_before_the_check_still_lists_and_shows(
    served: TestClient, operator_token: str, database: Database
) -> None:
    from opsbook.procedures.stores.tables import RunRow

    with database.transaction() as session:
        row = RunRow(
            procedure="deploy",
            title="Deploy Procedure",
            kind="procedure",
            runbook_path="/x/RUNBOOK.md",
            status="failed",
            message="",
            started_at=datetime.now(UTC),
            started_by="olga",
            params={"VERSION": "1\ud800"},
            plan_digest="0" * 16,
        )
        session.add(row)
        session.flush()
        run_id = row.id
    headers = bearer(operator_token)
    listed = served.get("/api/v1/runs", headers=headers)
    assert listed.status_code == 200, listed.text
    assert listed.json()["runs"][0]["params"] == {"VERSION": "1\\ud800"}
    assert served.get(f"/api/v1/runs/{run_id}", headers=headers).status_code == 200
    sign_in(served, operator_token)
    for page in ("/runs", f"/runs/{run_id}", "/"):
        assert served.get(page).status_code == 200, page
