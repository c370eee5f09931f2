"""Backups on the dashboard and the API, on the example's runbook: the overview's backup
panel is live, operators run backups, restore drills and DR drills, viewers read them, and
/metrics shows the proven backup's age."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opsbook.access import service as access
from opsbook.access.roles import Role
from opsbook.store.database import Database
from opsbook.web.app import create_app
from opsbook.web.backups_view import register_metrics
from opsbook.web.runbook_source import RunbookSource
from opsbook.web.state import AppState
from tests.backups.conftest import need

pytestmark = pytest.mark.process

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tinyweb"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def client(tmp_path: Path, db: Database) -> Iterator[TestClient]:
    need("zstd")
    folder = tmp_path / "tinyweb"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("var", ".opsbook"))
    runbook = folder / "RUNBOOK.md"
    port = _free_port()
    runbook.write_text(
        runbook.read_text().replace('TINYWEB_PORT: "8766"', f'TINYWEB_PORT: "{port}"')
    )
    (folder / "var/data/items").mkdir(parents=True)
    for index in range(4):
        (folder / f"var/data/items/i{index}.json").write_text(json.dumps({"id": f"i{index}"}))
    state = AppState(db=db, source=RunbookSource.load(runbook, datetime.now(UTC)), run_worker=False)
    register_metrics(state)
    with TestClient(create_app(state), base_url="http://127.0.0.1") as test_client:
        yield test_client


def _as(db: Database, role: Role) -> dict[str, str]:
    _, token = access.create_token(
        db, name=f"{role.value}-user", role=role, created_by="t", now=datetime.now(UTC)
    )
    return {"Authorization": f"Bearer {token}"}


def test_operators_back_up_and_drill_viewers_read_and_the_panel_is_live(
    client: TestClient, db: Database
) -> None:
    viewer, operator = _as(db, Role.VIEWER), _as(db, Role.OPERATOR)
    assert client.post("/api/v1/backups/data/run", headers=viewer).status_code == 403
    made = client.post("/api/v1/backups/data/run", headers=operator)
    assert made.status_code == 200 and made.json()["state"] == "ok" and made.json()["files"] == 4
    drilled = client.post("/api/v1/backups/data/drill", headers=operator)
    assert drilled.status_code == 200 and drilled.json()["state"] == "passed"
    listed = client.get("/api/v1/backups", headers=viewer).json()
    assert [(b["state"], b["drilled"]) for b in listed] == [("ok", "passed")]
    status = client.get("/api/v1/backups/status", headers=viewer).json()
    assert status[0]["rpo_over"] is False and status[0]["rpo_seconds"] == 86400
    assert client.post("/api/v1/backups/nope/run", headers=operator).status_code == 422
    overview = client.get("/", headers=viewer).text
    panel = overview[overview.index('data-panel="backup"') :]
    panel = panel[: panel.index("</section>")]
    assert "not live yet" not in panel and "proven" in panel and "coverage 4/4" in panel
    page = client.get("/backups", headers=viewer)
    assert page.status_code == 200 and 'data-testid="backup-sets"' in page.text
    metrics = client.get("/metrics").text
    assert 'opsbook_backup_proven_age_seconds{backup="data"}' in metrics
    assert "opsbook_backup_rpo_seconds 86400" in metrics


def test_a_dr_drill_from_the_dashboard_reports_rto_and_rpo_against_the_targets(
    client: TestClient, db: Database
) -> None:
    operator = _as(db, Role.OPERATOR)
    folder = Path(client.app.state.opsbook.source.path).parent  # type: ignore[attr-defined]
    import subprocess

    subprocess.run(["bin/tinyweb", "backup"], cwd=folder, check=True, capture_output=True)
    ran = client.post("/api/v1/dr/drill", headers=operator)
    assert ran.status_code == 200, ran.text
    report = ran.json()
    assert report["state"] == "passed" and report["rto_seconds"] > 0
    assert report["rto_target"] == 900 and report["rpo_target"] == 86400
    shown = client.get(f"/dr/{report['id']}", headers=operator)
    assert shown.status_code == 200 and "Where the time went" in shown.text
    assert "(target 15 min: met)" in shown.text
    listing = client.get("/backups", headers=operator).text
    assert "(target 15 min: met)" in listing and "(target 1 day" in listing


def test_the_server_drills_on_the_restore_test_schedule_and_watches_the_rpo(
    client: TestClient, db: Database
) -> None:
    import asyncio

    from opsbook.backups import service
    from opsbook.backups.drills import list_drills
    from opsbook.monitoring.service import list_alerts
    from opsbook.web.backups_view import backup_tasks, specs_of

    state = client.app.state.opsbook  # type: ignore[attr-defined]
    (task,) = backup_tasks(state)
    asyncio.run(task.action())  # no backup yet: nothing to drill, and the RPO is over
    assert list_drills(db=db) == []
    open_alerts = [a.name for a in list_alerts(db=db, state="open").items]
    assert open_alerts.count("BackupRpoExceeded") == 1
    service.run_backup(db=db, spec=specs_of(state)["data"], clock=state.clock)
    asyncio.run(task.action())  # the Weekly schedule is due: a drill, which proves the backup
    assert [d.state for d in list_drills(db=db)] == ["passed"]
    assert "BackupRpoExceeded" not in [a.name for a in list_alerts(db=db, state="open").items]
    asyncio.run(task.action())  # not due again for a week
    assert len(list_drills(db=db)) == 1


def sign_in(client: TestClient, token: str) -> str:
    """Sign in with a token as a person does; return the page's CSRF token."""
    import re

    form = client.get("/login").text
    login_csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert login_csrf is not None
    data = {"secret": token, "csrf_token": login_csrf.group(1)}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get("/").text)
    assert csrf is not None
    return csrf.group(1)


def test_a_person_backs_up_drills_and_runs_a_dr_drill_with_the_pages_buttons(
    client: TestClient, db: Database
) -> None:
    import subprocess

    _, token = access.create_token(
        db, name="ana", role=Role.OPERATOR, created_by="t", now=datetime.now(UTC)
    )
    csrf = sign_in(client, token)
    page = client.get("/backups").text
    assert 'action="/backups/data/run"' in page and 'action="/dr/drill"' in page
    for action in ("/backups/data/run", "/backups/data/drill"):
        done = client.post(action, data={"csrf_token": csrf}, follow_redirects=False)
        assert done.status_code == 303, done.text
    assert client.post("/backups/data/run", data={}, follow_redirects=False).status_code == 403
    page = client.get("/backups").text
    drills = page[page.index('data-testid="drills"') :]
    assert "passed" in drills[: drills.index("</table>")]
    folder = Path(client.app.state.opsbook.source.path).parent  # type: ignore[attr-defined]
    subprocess.run(["bin/tinyweb", "backup"], cwd=folder, check=True, capture_output=True)
    done = client.post("/dr/drill", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/dr/")
    report = client.get(done.headers["location"]).text
    assert "Where the time went" in report and "(target 15 min: met)" in report
