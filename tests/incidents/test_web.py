"""Incidents over HTTP on a real app and database: API, roles, pages, the worker's tasks."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opsbook.access import service as access
from opsbook.access.roles import Role
from opsbook.store.database import Database
from opsbook.web.app import create_app
from opsbook.web.incidents_view import incident_tasks
from opsbook.web.runbook_source import RunbookSource
from opsbook.web.state import AppState
from tests.incidents.clock import FakeClock
from tests.incidents.smtp import Mailbox


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def state(book_path: Path, db: Database, clock: FakeClock) -> AppState:
    return AppState(
        db=db,
        source=RunbookSource.load(book_path, clock()),
        clock=clock,
        environ={"PATH": "/usr/bin:/bin"},
    )


@pytest.fixture
def client(state: AppState) -> Iterator[TestClient]:
    with TestClient(create_app(state), base_url="http://127.0.0.1") as test_client:
        yield test_client


def _auth(db: Database, role: Role) -> dict[str, str]:
    _, token = access.create_token(
        db, name=f"{role.value}-1", role=role, created_by="t", now=FakeClock()()
    )
    return {"Authorization": f"Bearer {token}"}


def test_every_incident_route_needs_a_token_and_the_right_role(
    client: TestClient, db: Database
) -> None:
    assert client.get("/api/v1/incidents").status_code == 401
    assert (
        client.post("/api/v1/incidents", json={"severity": "SEV-2", "title": "x"}).status_code
        == 401
    )
    viewer = _auth(db, Role.VIEWER)
    assert client.get("/api/v1/incidents", headers=viewer).json() == []
    refused = client.post(
        "/api/v1/incidents", json={"severity": "SEV-2", "title": "x"}, headers=viewer
    )
    assert refused.status_code == 403


def test_open_ack_resolve_through_the_api(
    client: TestClient, db: Database, clock: FakeClock
) -> None:
    op = _auth(db, Role.OPERATOR)
    made = client.post(
        "/api/v1/incidents", json={"severity": "sev1", "title": "tinyweb down"}, headers=op
    )
    assert made.status_code == 201
    body = made.json()
    assert body["severity"] == "SEV-1" and body["respond_by"] == "2026-11-27T03:15:00+00:00"
    incident_id = body["id"]
    bad = client.post("/api/v1/incidents", json={"severity": "SEV-8", "title": "x"}, headers=op)
    assert bad.status_code == 422 and "SEV-8" in bad.json()["detail"]
    clock.advance(minutes=3)
    acked = client.post(f"/api/v1/incidents/{incident_id}/ack", headers=op)
    assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "operator-1"
    assert client.post(f"/api/v1/incidents/{incident_id}/ack", headers=op).status_code == 409
    done = client.post(
        f"/api/v1/incidents/{incident_id}/resolve", json={"text": "restarted"}, headers=op
    )
    assert done.json()["status"] == "resolved"
    assert client.post(f"/api/v1/incidents/{incident_id}/ack", headers=op).status_code == 409
    note = client.post(
        f"/api/v1/incidents/{incident_id}/notes",
        json={"text": "pid file was stale", "kind": "root-cause"},
        headers=op,
    )
    assert note.status_code == 201
    shown = client.get(f"/api/v1/incidents/{incident_id}", headers=op).json()
    assert [e["kind"] for e in shown["timeline"]][-3:] == ["acknowledged", "resolved", "root-cause"]
    assert client.get("/api/v1/incidents/999", headers=op).status_code == 404
    assert client.get(f"/api/v1/incidents/{2**70}", headers=op).status_code == 422
    assert client.post(f"/api/v1/incidents/{2**70}/ack", headers=op).status_code == 422


def test_pages_show_severity_countdown_timeline_and_the_overview_panel(
    client: TestClient, db: Database
) -> None:
    op = {**_auth(db, Role.OPERATOR), "Accept": "text/html"}
    made = client.post(
        "/incidents",
        data={"severity": "SEV-2", "title": "Disk usage at 95%"},
        headers=op,
        follow_redirects=False,
    )
    assert made.status_code == 303
    where = made.headers["location"]
    page = client.get(where, headers=op).text
    assert 'class="sev sev-1"' in page and "SEV-2" in page
    assert 'data-respond-by="2026-11-27T04:00:00+00:00"' in page
    assert "Disk filling up" in page and "Run diagnosis" in page
    listing = client.get("/incidents", headers=op).text
    assert "Disk usage at 95%" in listing
    assert '<time datetime="2026-11-27T04:00:00Z" data-when="due"' in listing
    overview = client.get("/", headers=op).text
    assert "SEV-2 #1 Disk usage at 95%" in overview
    acked = client.post(f"{where}/ack", headers=op, follow_redirects=False)
    assert acked.status_code == 303
    assert 'data-testid="acknowledged"' in client.get(where, headers=op).text
    partial = client.get(f"{where}/timeline", headers=op).text
    assert partial.lstrip().startswith("<table") and "Acknowledged by operator-1" in partial


def test_a_session_form_without_its_csrf_token_is_refused(client: TestClient, db: Database) -> None:
    _, token = access.create_token(
        db, name="ana", role=Role.OPERATOR, created_by="t", now=FakeClock()()
    )
    login_page = client.get("/login").text
    csrf = login_page.split('name="csrf_token" value="')[1].split('"')[0]
    signed = client.post(
        "/login", data={"secret": token, "csrf_token": csrf, "next": "/"}, follow_redirects=False
    )
    assert signed.status_code in (302, 303)
    refused = client.post(
        "/incidents", data={"severity": "SEV-3", "title": "x"}, follow_redirects=False
    )
    assert refused.status_code == 403
    assert client.get("/api/v1/incidents", headers={"Authorization": ""}).json() == []


def test_the_worker_escalates_from_the_database_and_emails_the_backup(
    book_path: Path, db: Database, clock: FakeClock, smtp: Mailbox
) -> None:
    text = book_path.read_text().replace(
        "monitoring:\n",
        f"notifications:\n  email:\n    host: {smtp.host}\n    port: {smtp.port}\nmonitoring:\n",
        1,
    )
    book_path.write_text(text)
    first = AppState(db=db, source=RunbookSource.load(book_path, clock()), clock=clock)
    with TestClient(create_app(first), base_url="http://127.0.0.1") as client:
        client.post(
            "/api/v1/incidents",
            json={"severity": "SEV-2", "title": "Items lost"},
            headers=_auth(db, Role.OPERATOR),
        )
    # A new server process (a restart): only the database remembers the timer.
    second = AppState(db=db, source=RunbookSource.load(book_path, clock()), clock=clock)
    (tick,) = incident_tasks(second)
    asyncio.run(tick.action())
    assert [m["To"] for m in smtp.messages] == ["Ana Ruiz <ana.ruiz@example.com>"]
    clock.advance(hours=1, seconds=1)
    asyncio.run(tick.action())
    assert [m["To"] for m in smtp.messages][1:] == ["Sam Okafor <sam.okafor@example.com>"]


def _open_security_incident(client: TestClient, headers: dict[str, str]) -> int:
    made = client.post(
        "/api/v1/incidents",
        json={"severity": "SEV-1", "title": "Odd logins", "security": True},
        headers=headers,
    )
    return int(made.json()["id"])


def test_a_security_incident_blocks_shutdown_runs_until_an_admin_forces_one(
    client: TestClient, db: Database
) -> None:
    op, boss = _auth(db, Role.OPERATOR), _auth(db, Role.ADMIN)
    incident_id = _open_security_incident(client, op)
    refused = client.post("/api/v1/procedures/shutdown/runs", json={"params": {}}, headers=op)
    assert refused.status_code == 422
    assert "DO NOT shut down systems — preserve evidence" in refused.json()["problems"][0]
    html = {**boss, "Accept": "text/html"}
    page = client.get(f"/incidents/{incident_id}", headers=html).text
    assert "Run anyway" in page and "DO NOT shut down systems" in page
    form = {"procedure": "shutdown", "reason": "the attacker is deleting data"}
    as_operator = client.post(f"/incidents/{incident_id}/force", data=form, headers=op)
    assert as_operator.status_code == 403
    forced = client.post(
        f"/incidents/{incident_id}/force", data=form, headers=boss, follow_redirects=False
    )
    assert forced.status_code == 303 and forced.headers["location"].startswith("/runs/")
    timeline = client.get(f"/api/v1/incidents/{incident_id}", headers=op).json()["timeline"]
    assert timeline[-1]["kind"] == "forced" and timeline[-1]["actor"] == "admin-1"
    assert timeline[-1]["text"].endswith("the attacker is deleting data")


def test_run_diagnosis_button_starts_a_run_linked_to_the_incident(
    client: TestClient, db: Database
) -> None:
    op = _auth(db, Role.OPERATOR)
    made = client.post(
        "/api/v1/incidents", json={"severity": "SEV-3", "title": "Disk usage high"}, headers=op
    )
    incident_id = made.json()["id"]
    started = client.post(
        f"/incidents/{incident_id}/diagnose/disk-filling-up", headers=op, follow_redirects=False
    )
    assert started.status_code == 303
    last = client.get(f"/api/v1/incidents/{incident_id}", headers=op).json()["timeline"][-1]
    assert last["kind"] == "run" and last["data"]["pending"] is True
    run = client.get(f"/api/v1/runs/{last['data']['run_id']}", headers=op).json()
    assert run["procedure"] == "disk-filling-up:diagnosis"
    missing = client.post(f"/incidents/{incident_id}/diagnose/no-such-issue", headers=op)
    assert missing.status_code == 404


def test_status_updates_reach_the_timeline_and_the_contacts(
    client: TestClient, db: Database
) -> None:
    op = _auth(db, Role.OPERATOR)
    made = client.post("/api/v1/incidents", json={"severity": "SEV-2", "title": "x"}, headers=op)
    incident_id = made.json()["id"]
    posted = client.post(
        f"/api/v1/incidents/{incident_id}/updates", json={"text": "Mitigated"}, headers=op
    )
    assert posted.status_code == 201 and posted.json()["kind"] == "status-update"
    form = client.post(
        f"/incidents/{incident_id}/updates/add",
        data={"text": "Fixed"},
        headers=op,
        follow_redirects=False,
    )
    assert form.status_code == 303
    shown = client.get(f"/api/v1/incidents/{incident_id}", headers=op).json()
    assert [e["text"] for e in shown["timeline"] if e["kind"] == "status-update"] == [
        "Mitigated",
        "Fixed",
    ]
    assert sum(1 for p in shown["pages"] if p["level"] == -1) == 6  # 3 contacts, 2 updates


def test_action_items_and_update_runbook_from_the_incident_page(
    client: TestClient, db: Database, state: AppState, book_path: Path
) -> None:
    op, boss = _auth(db, Role.OPERATOR), _auth(db, Role.ADMIN)
    made = client.post(
        "/api/v1/incidents",
        json={"severity": "SEV-3", "title": "Backups fail on Sundays"},
        headers=op,
    )
    incident_id = made.json()["id"]
    added = client.post(
        f"/incidents/{incident_id}/actions/add",
        data={"text": "Move the prune", "owner": "Lena Vogel"},
        headers=op,
        follow_redirects=False,
    )
    assert added.status_code == 303
    item = client.get(f"/api/v1/incidents/{incident_id}", headers=op).json()["action_items"][0]
    done = client.post(
        f"/incidents/{incident_id}/actions/{item['id']}/done", headers=op, follow_redirects=False
    )
    assert done.status_code == 303
    client.post(f"/api/v1/incidents/{incident_id}/resolve", headers=op)
    markdown = client.get(f"/incidents/{incident_id}/postmortem.md", headers=op).text
    assert "| 1 | Move the prune | Lena Vogel | done |" in markdown
    before = book_path.read_bytes()
    assert client.post(f"/incidents/{incident_id}/update-runbook", headers=op).status_code == 403
    assert book_path.read_bytes() == before
    taught = client.post(
        f"/incidents/{incident_id}/update-runbook", headers=boss, follow_redirects=False
    )
    assert taught.status_code == 303
    assert state.source.runbook.issue("backups-fail-on-sundays") is not None  # reloaded live
    again = client.post(f"/incidents/{incident_id}/update-runbook", headers=boss)
    assert again.status_code == 422 and "already has an issue" in again.json()["detail"]


def test_the_incident_page_shows_the_custody_of_its_evidence_with_a_transfer(
    client: TestClient, db: Database, book_path: Path
) -> None:
    log = book_path.parent / "var" / "state" / "tinyweb.log"
    log.parent.mkdir(parents=True)
    log.write_bytes(b"2026-11-27 03:00 POST /login 401\n" * 10)
    op, boss = _auth(db, Role.OPERATOR), _auth(db, Role.ADMIN)
    incident_id = _open_security_incident(client, op)
    [item] = client.get(f"/api/v1/evidence?incident={incident_id}", headers=op).json()
    moved = client.post(
        f"/api/v1/evidence/{item['sha256']}/transfer",
        json={"to": "Joe Ruiz", "purpose": "forensic lab"},
        headers=boss,
    )
    assert moved.status_code == 200
    page = client.get(f"/incidents/{incident_id}", headers={**op, "Accept": "text/html"}).text
    custody = page.split('data-testid="custody"')[1].split("</table>")[0]
    assert "held by Joe Ruiz" in custody
    rows = re.findall(r"<tr><td>\d+</td><td>(\w+).*?</td><td>(.*?)</td><td>(.*?)</td>", custody)
    assert rows == [
        ("collected", "operator-1", "operator-1"),
        ("transferred", "admin-1", "Joe Ruiz"),
    ]
