"""Runs through the API, driven by the server's worker: start, wait for a person, confirm,
approvals from distinct operators, abort, resume refused, history with output."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from opsbook.access import service
from opsbook.access.roles import Role
from opsbook.store.database import Database
from opsbook.web.app import create_app
from opsbook.web.server import build_state
from opsbook.web.state import AppState
from tests.web.conftest import bearer


@pytest.fixture
def served(runbook_path: Path, db: Database) -> AppState:
    state = build_state(runbook_path, db)
    assert state.worker is not None
    state.worker.poll = 0.05
    return state


@pytest.fixture
def api(served: AppState) -> Iterator[TestClient]:
    with TestClient(create_app(served), base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture
def people(db: Database) -> dict[str, dict[str, str]]:
    now = datetime.now(UTC)
    made = {}
    for name, role in (
        ("olga", Role.OPERATOR),
        ("omar", Role.OPERATOR),
        ("oona", Role.OPERATOR),
        ("vic", Role.VIEWER),
    ):
        _, token = service.create_token(db, name=name, role=role, created_by="t", now=now)
        made[name] = bearer(token)
    return made


def wait_for(client: TestClient, run_id: int, headers: dict[str, str], *statuses: str) -> Any:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        run = client.get(f"/api/v1/runs/{run_id}", headers=headers).json()
        if run["status"] in statuses:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} stayed {run['status']}, wanted {statuses}")


@pytest.mark.process
def test_a_run_waits_at_its_manual_step_and_finishes_once_confirmed(
    api: TestClient, people: dict[str, dict[str, str]]
) -> None:
    olga = people["olga"]
    started = api.post("/api/v1/procedures/startup/runs", headers=olga, json={})
    assert started.status_code == 202 and started.json()["started_by"] == "olga"
    run_id = started.json()["id"]
    run = wait_for(api, run_id, olga, "waiting")
    assert run["waiting"]["text"] == "Check the console by eye"
    assert [a["stdout"] for a in run["attempts"]] == ["", "started\n"]
    answered = api.post(
        f"/api/v1/runs/{run_id}/confirm", headers=olga, json={"decision": "confirm"}
    )
    assert answered.status_code == 200
    run = wait_for(api, run_id, olga, "succeeded", "failed")
    assert run["status"] == "succeeded" and run["finished_at"]
    assert run["steps"]["steps:2"] == "passed" and run["steps"]["steps:3"] == "passed"
    assert run["confirmations"][-1] == {
        **run["confirmations"][-1],
        "decision": "confirmed",
        "by": "olga",
        "via": "web",
    }
    history = api.get("/api/v1/runs", headers=people["vic"]).json()
    assert history["total"] == 1 and history["runs"][0]["status"] == "succeeded"


@pytest.mark.process
def test_a_viewer_may_read_runs_but_not_start_or_answer_them(
    api: TestClient, people: dict[str, dict[str, str]]
) -> None:
    vic = people["vic"]
    assert api.post("/api/v1/procedures/startup/runs", headers=vic, json={}).status_code == 403
    run_id = api.post("/api/v1/procedures/startup/runs", headers=people["olga"], json={}).json()[
        "id"
    ]
    wait_for(api, run_id, vic, "waiting")
    for action, body in (("confirm", {"decision": "confirm"}), ("approve", None), ("abort", None)):
        assert (
            api.post(f"/api/v1/runs/{run_id}/{action}", headers=vic, json=body).status_code == 403
        )


def test_a_missing_parameter_is_refused_before_anything_runs(
    api: TestClient, people: dict[str, dict[str, str]]
) -> None:
    refused = api.post("/api/v1/procedures/deploy/runs", headers=people["olga"], json={})
    assert refused.status_code == 422
    assert "VERSION is required" in refused.json()["problems"][0]
    assert api.get("/api/v1/runs", headers=people["olga"]).json()["total"] == 0


@pytest.mark.process
def test_parameters_reach_commands_as_environment_only(
    api: TestClient, people: dict[str, dict[str, str]]
) -> None:
    olga = people["olga"]
    value = "$(touch /tmp/opsbook-web-pwned); `id`"
    run_id = api.post(
        "/api/v1/procedures/deploy/runs", headers=olga, json={"params": {"VERSION": value}}
    ).json()["id"]
    run = wait_for(api, run_id, olga, "waiting")
    assert run["attempts"][0]["stdout"] == f"deploying {value}\n"
    assert not Path("/tmp/opsbook-web-pwned").exists()


@pytest.mark.process
def test_approvals_need_n_distinct_operators_other_than_the_starter(
    api: TestClient, people: dict[str, dict[str, str]]
) -> None:
    olga, omar, oona = people["olga"], people["omar"], people["oona"]
    run_id = api.post(
        "/api/v1/procedures/deploy/runs", headers=olga, json={"params": {"VERSION": "2.0"}}
    ).json()["id"]
    run = wait_for(api, run_id, olga, "waiting")
    assert run["waiting"]["approvals_needed"] == 2
    own = api.post(f"/api/v1/runs/{run_id}/approve", headers=olga)
    assert own.status_code == 403 and "cannot approve" in own.json()["detail"]
    confirm = api.post(f"/api/v1/runs/{run_id}/confirm", headers=omar, json={"decision": "confirm"})
    assert confirm.status_code == 409 and "approvals" in confirm.json()["detail"]
    first = api.post(f"/api/v1/runs/{run_id}/approve", headers=omar)
    assert (
        first.json()["waiting"]["approved_by"] == ["omar"] and first.json()["status"] == "waiting"
    )
    again = api.post(f"/api/v1/runs/{run_id}/approve", headers=omar)
    assert again.status_code == 409 and "already approved" in again.json()["detail"]
    time.sleep(0.3)
    assert api.get(f"/api/v1/runs/{run_id}", headers=olga).json()["status"] == "waiting"
    assert api.post(f"/api/v1/runs/{run_id}/approve", headers=oona).status_code == 200
    run = wait_for(api, run_id, olga, "succeeded", "failed")
    assert run["status"] == "succeeded"
    assert run["confirmations"][-1]["by"] == "approved by omar, oona"


@pytest.mark.process
def test_aborting_a_waiting_run_fails_it_at_that_step(
    api: TestClient, people: dict[str, dict[str, str]]
) -> None:
    olga = people["olga"]
    run_id = api.post("/api/v1/procedures/startup/runs", headers=olga, json={}).json()["id"]
    wait_for(api, run_id, olga, "waiting")
    assert api.post(f"/api/v1/runs/{run_id}/abort", headers=people["omar"]).status_code == 200
    run = wait_for(api, run_id, olga, "failed", "rolled-back")
    assert "aborted" in run["message"] and "steps:3" not in run["steps"]
    late = api.post(f"/api/v1/runs/{run_id}/abort", headers=olga)
    assert late.status_code == 409
    assert api.post(f"/api/v1/runs/{run_id}/resume", headers=olga).status_code == 409


def test_unknown_runs_and_procedures_are_404(
    api: TestClient, people: dict[str, dict[str, str]]
) -> None:
    olga = people["olga"]
    assert api.get("/api/v1/runs/999", headers=olga).status_code == 404
    assert api.post("/api/v1/runs/999/abort", headers=olga).status_code == 404
    assert api.post("/api/v1/procedures/nope/runs", headers=olga, json={}).status_code == 404


@pytest.mark.process
def test_runs_are_paged_newest_first(
    api: TestClient, people: dict[str, dict[str, str]], served: AppState
) -> None:
    olga = people["olga"]
    ids = [
        api.post("/api/v1/procedures/startup/runs", headers=olga, json={}).json()["id"]
        for _ in range(3)
    ]
    page = api.get("/api/v1/runs?limit=2", headers=olga).json()
    assert [r["id"] for r in page["runs"]] == ids[:0:-1] and page["total"] == 3
    rest = api.get(f"/api/v1/runs?limit=2&before={page['next_before']}", headers=olga).json()
    assert [r["id"] for r in rest["runs"]] == [ids[0]] and rest["next_before"] is None
    metrics = api.get("/metrics").text
    assert 'opsbook_runs_started_total{procedure="startup"} 3.0' in metrics


@pytest.mark.process
def test_aborting_a_running_run_stops_its_command(
    api: TestClient, people: dict[str, dict[str, str]]
) -> None:
    olga = people["olga"]
    run_id = api.post("/api/v1/procedures/slow/runs", headers=olga, json={}).json()["id"]
    deadline = time.monotonic() + 10
    while not api.get(f"/api/v1/runs/{run_id}", headers=olga).json()["attempts"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    started = time.monotonic()
    assert api.post(f"/api/v1/runs/{run_id}/abort", headers=people["omar"]).status_code == 200
    run = wait_for(api, run_id, olga, "interrupted", "failed")
    assert time.monotonic() - started < 10
    # Who aborted it is written with the interruption itself, in one write.
    assert (
        run["message"]
        == 'interrupted at step 1 "Wait half a minute": aborted by omar in the browser'
    )

    assert run["attempts"][0]["status"] == "interrupted"


def test_a_run_whose_secret_this_server_lacks_fails_without_running(
    runbook_path: Path, db: Database
) -> None:
    import asyncio

    from opsbook.access.model import Principal
    from opsbook.procedures.secrets import MASK
    from opsbook.procedures.stores.tables import RunRow
    from opsbook.web.runs import actions
    from opsbook.web.runs.driver import drive
    from opsbook.worker.queue import Job

    state = build_state(runbook_path, db)
    run_id = actions.start(state, "quick", {}, None, Principal("olga", Role.OPERATOR, "token"))
    with db.transaction() as session:
        row = session.get(RunRow, run_id)
        assert row is not None
        row.params = {"DEPLOY_TOKEN": MASK}  # as if another server took the request
    asyncio.run(drive(state, Job(1, "procedure.run", {"run_id": run_id, "resume": False}, 1)))
    with db.transaction() as session:
        row = session.get(RunRow, run_id)
        assert row is not None
        assert row.status == "failed" and "DEPLOY_TOKEN" in row.message
        assert row.finished_at is not None
