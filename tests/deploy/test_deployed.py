"""The version live on each target, from the run records: CLI rule, API and overview panel."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opsbook.deploy.decisions import ask_person
from opsbook.deploy.deployed import DeployRun, deployed
from opsbook.procedures.confirm import AutoConfirmer
from opsbook.procedures.engine import Plan
from opsbook.procedures.executors.local import LocalExecutor
from opsbook.procedures.executors.ssh_hosts import SshHosts
from opsbook.procedures.guard import Override
from opsbook.procedures.plan import build_plan
from opsbook.procedures.runner import QuietReporter
from opsbook.procedures.service import Me, execute_run, start_run
from opsbook.runbook.parser import parse_runbook
from opsbook.store.database import Database
from opsbook.web.app import create_app
from opsbook.web.server import build_state
from opsbook.web.state import AppState
from tests.web.conftest import bearer
from tests.web.test_pages import sign_in

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
BOOK = """# Demo

## Standard Operating Procedures

### Deployment Procedure

**Parameters**:
- `VERSION` (required): the release

**Steps**:
1. Deploy it: `test "$VERSION" != bad` {unattended}

**Rollback Plan**:
1. Undo: `true` {unattended}
"""


def _run(run_id: int, status: str, version: str | None, procedure: str = "deploy") -> DeployRun:
    params: dict[str, object] = {"VERSION": version} if version else {}
    return DeployRun(run_id, procedure, None, status, params, T0)


def test_current_is_the_newest_success_and_previous_the_one_live_before_it() -> None:
    (view,) = deployed(
        [
            _run(1, "succeeded", "1.0"),
            _run(2, "succeeded", "1.1"),
            _run(3, "succeeded", "1.1"),
            _run(4, "rolled-back", "1.2"),
            _run(5, "succeeded", None, "backup"),
        ]
    )
    assert (view.target, view.current, view.previous, view.current_run) == (
        "deploy",
        "1.1",
        "1.0",
        3,
    )
    assert (view.last_version, view.last_status, view.last_run) == ("1.2", "rolled-back", 4)
    (never,) = deployed([_run(1, "failed", "2.0")])
    assert (never.current, never.previous) == (None, None)


class AnyRunMayGo:
    def check(self, plan: Plan, now: datetime, override: Override | None) -> None:
        return None


@pytest.fixture
def served(tmp_path: Path, db: Database) -> Iterator[tuple[TestClient, AppState]]:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(BOOK)
    state = build_state(book, db)
    with TestClient(create_app(state), base_url="http://127.0.0.1") as client:
        yield client, state


def _deploy(db: Database, book_path: Path, version: str) -> None:
    book = parse_runbook(BOOK, str(book_path))
    plan = build_plan(book, target="deployment", params={"VERSION": version}, environ={})
    now = lambda: datetime.now(UTC)  # noqa: E731
    run_id = start_run(db=db, plan=plan, me=Me("ana", "m", 1, 0.0), now=now, guard=AnyRunMayGo())
    asyncio.run(
        execute_run(
            db=db,
            plan=plan,
            run_id=run_id,
            confirmer=AutoConfirmer("ana"),
            reporter=QuietReporter(),
            local=LocalExecutor({"PATH": "/usr/bin:/bin"}),
            remote=SshHosts(book),
            now=now,
        )
    )


@pytest.mark.process
def test_the_api_and_the_overview_show_current_and_previous_version(
    served: tuple[TestClient, AppState], tokens: dict[str, str], tmp_path: Path
) -> None:
    client, state = served
    for version in ("1.0", "1.1", "bad"):
        _deploy(state.db, tmp_path / "RUNBOOK.md", version)
    answer = client.get("/api/v1/deployments", headers=bearer(tokens["viewer"]))
    assert answer.status_code == 200
    (view,) = answer.json()
    assert (view["current"], view["previous"], view["last_status"]) == ("1.1", "1.0", "rolled-back")
    assert client.get("/api/v1/deployments").status_code == 401
    asked = ask_person(
        db=state.db,
        run_id=3,
        step="prerequisites:1",
        gate="Error rate < 1 for 60s",
        reason="Prometheus did not answer",
        now=datetime.now(UTC),
        within=timedelta(minutes=5),
    )
    sign_in(client, tokens["viewer"])
    page = client.get("/", headers={"accept": "text/html"}).text
    assert "Deployed versions" in page and "1.1 (before: 1.0)" in page
    assert f"opsbook gate decide {asked.id}" in page
    waiting = client.get("/api/v1/gate-decisions", headers=bearer(tokens["viewer"])).json()
    assert [d["id"] for d in waiting] == [asked.id]
    url = f"/api/v1/gate-decisions/{asked.id}"
    body = {"let_pass": False, "note": "source down too long"}
    assert client.post(url, json=body, headers=bearer(tokens["viewer"])).status_code == 403
    answered = client.post(url, json=body, headers=bearer(tokens["operator"]))
    assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "stopped"
    again = client.post(url, json=body, headers=bearer(tokens["operator"]))
    assert again.status_code == 409
    assert client.post("/api/v1/gate-decisions/999", json=body,
                       headers=bearer(tokens["operator"])).status_code == 404  # fmt: skip


@pytest.mark.process
def test_the_run_page_lets_a_holder_approve_a_gate_and_tells_others_to_ask_one(
    served: tuple[TestClient, AppState], tokens: dict[str, str], tmp_path: Path
) -> None:
    client, state = served
    _deploy(state.db, tmp_path / "RUNBOOK.md", "1.0")
    anyone = ask_person(db=state.db, run_id=1, step="prerequisites:1", gate="1 approval",
                        reason="approval asked", now=datetime.now(UTC),
                        within=timedelta(minutes=5))  # fmt: skip
    of_role = ask_person(db=state.db, run_id=1, step="prerequisites:2",
                         gate="1 approval of Operations Lead", reason="approval asked",
                         now=datetime.now(UTC), within=timedelta(minutes=5),
                         role="Operations Lead", allowed=frozenset({"lena.vogel"}))  # fmt: skip
    csrf = sign_in(client, tokens["operator"])
    page = client.get("/runs/1", headers={"accept": "text/html"}).text
    assert f'action="/runs/1/gates/{anyone.id}"' in page
    assert f'action="/runs/1/gates/{of_role.id}"' not in page
    assert "do not hold the Operations Lead role" in page
    refused = client.post(f"/runs/1/gates/{of_role.id}",
                          data={"csrf_token": csrf, "answer": "approve"})  # fmt: skip
    assert refused.status_code == 403
    approved = client.post(f"/runs/1/gates/{anyone.id}",
                           data={"csrf_token": csrf, "answer": "approve"},
                           follow_redirects=False)  # fmt: skip
    assert approved.status_code == 303
    waiting = client.get("/api/v1/gate-decisions", headers=bearer(tokens["viewer"])).json()
    assert [d["id"] for d in waiting] == [of_role.id]
