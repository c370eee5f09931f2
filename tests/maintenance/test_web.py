"""Maintenance over HTTP: heartbeats with roles enforced, the dashboard's live panel, a task
run from the dashboard by the server's worker, and the runbook's table updated after it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opsbook.maintenance import service
from opsbook.maintenance.tasks import task_specs
from opsbook.store.database import Database
from opsbook.web.app import create_app
from opsbook.web.server import build_state
from opsbook.web.state import AppState
from tests.web.conftest import bearer
from tests.web.test_pages import sign_in

pytestmark = pytest.mark.process  # the task run from the dashboard is a real command

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
BOOK = """# Demo Service

## Maintenance Procedures

### Regular Maintenance Tasks

| Task | Frequency | Owner | Last Completed | Next Due | Command |
|------|-----------|-------|----------------|----------|---------|
| Vacuum database | Daily at 03:00 | dana | | | `echo vacuumed >> vacuum.txt` |
| Nightly export | Daily at 01:00 | ci | | | |
| Dependency updates | Monthly on the 1st | dana | 2026-10-01 | | |

## Version History

| Version | Date | Author | Changes |
|---------|------|--------|---------|
| 2.0 | 2026-11-01 | dana | First |
"""


@pytest.fixture
def served(tmp_path: Path, db: Database) -> Iterator[tuple[TestClient, AppState]]:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(BOOK)
    state = build_state(book, db)
    state.clock = lambda: NOW
    assert state.worker is not None
    state.worker.poll = 0.05
    with TestClient(create_app(state), base_url="http://127.0.0.1") as client:
        yield client, state


def test_ping_needs_an_operator_and_records_start_success_and_fail(
    served: tuple[TestClient, AppState], tokens: dict[str, str]
) -> None:
    client, state = served
    url = "/api/v1/maintenance/nightly-export/ping"
    assert client.post(url).status_code == 401
    assert client.post(url, headers=bearer(tokens["viewer"])).status_code == 403
    operator = bearer(tokens["operator"])
    started = client.post(url, json={"kind": "start"}, headers=operator)
    assert started.status_code == 200 and started.json()["state"] == "running"
    ended = client.post(url, json={"kind": "success", "exit_status": 0}, headers=operator).json()
    assert (ended["id"], ended["state"], ended["actor"]) == (
        started.json()["id"],
        "succeeded",
        "operator-user",
    )
    failed = client.post(url, json={"kind": "fail", "exit_status": 2}, headers=operator).json()
    assert failed["state"] == "failed" and failed["exit_status"] == 2
    assert client.post(url, json={"kind": "finished"}, headers=operator).status_code == 422
    missing = client.post("/api/v1/maintenance/nope/ping", headers=operator)
    assert missing.status_code == 404
    tasks = client.get("/api/v1/maintenance", headers=bearer(tokens["viewer"])).json()
    export = next(t for t in tasks if t["key"] == "nightly-export")
    assert export["last_outcome"] == "failed" and export["last_success"] is not None
    text = Path(state.source.path).read_text()
    assert (
        "| Nightly export | Daily at 01:00 | ci | 2026-12-02 09:00 UTC | 2026-12-03 01:00 UTC |"
        in text
    )
    done = client.post(
        "/api/v1/maintenance/Dependency updates/done", json={"note": "bumped"}, headers=operator
    )
    assert done.status_code == 200
    assert done.json()["run"]["state"] == "succeeded" and done.json()["runbook_version"] == "2.2"
    runs = client.get("/api/v1/maintenance/runs?task=dependency-updates", headers=operator).json()
    assert [(r["state"], r["detail"]) for r in runs] == [("succeeded", "bumped")]


def test_dashboard_panel_is_live_and_a_task_runs_from_the_dashboard(
    served: tuple[TestClient, AppState], tokens: dict[str, str], db: Database
) -> None:
    client, state = served
    csrf = sign_in(client, tokens["operator"])
    overview = client.get("/").text
    start = overview.index('data-panel="maintenance"')
    panel = overview[start : overview.index("</section>", start)]
    assert "not live yet" not in panel
    # Monthly on the 1st, last done 1 October: due 1 November, an hour's grace: overdue.
    assert "Dependency updates" in panel and "overdue, due 2026-11-01 00:00 UTC" in panel
    assert "Vacuum database" in panel and "due 2026-12-03 03:00 UTC" in panel

    page = client.get("/maintenance").text
    assert re.search(r'data-task="dependency-updates" data-standing="overdue"', page)
    queued = client.post(
        "/maintenance/vacuum-database/run", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert queued.status_code == 303
    specs = task_specs(state.source.runbook)
    for _ in range(200):  # the server's worker claims and runs it
        runs = service.history(db=db, task="vacuum-database")
        if runs and runs[0].state == "succeeded":
            break
        time.sleep(0.05)
    assert runs[0].state == "succeeded" and runs[0].source == "dashboard"
    folder = Path(state.source.path).parent
    assert (folder / "vacuum.txt").read_text() == "vacuumed\n"
    text = (folder / "RUNBOOK.md").read_text()
    assert (
        "| Vacuum database | Daily at 03:00 | dana | 2026-12-02 09:00 UTC | 2026-12-03 03:00 UTC |"
        in text
    )
    assert (
        "| 2.1 | 2026-12-02 | operator-user | Vacuum database: completed 2026-12-02 09:00 UTC |"
        in text
    )

    done = client.post(
        "/maintenance/dependency-updates/done",
        data={"csrf_token": csrf, "note": "bumped"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    views = {v.key: v for v in service.list_tasks(db=db, specs=specs, now=NOW)}
    assert views["dependency-updates"].standing == "ok"
    assert "| 2.2 | 2026-12-02 | operator-user |" in (folder / "RUNBOOK.md").read_text()


def test_viewer_sees_no_buttons_and_cannot_run(
    served: tuple[TestClient, AppState], tokens: dict[str, str]
) -> None:
    client, _ = served
    csrf = sign_in(client, tokens["viewer"])
    assert "Run now" not in client.get("/maintenance").text
    refused = client.post("/maintenance/vacuum-database/run", data={"csrf_token": csrf})
    assert refused.status_code == 403


PROCEDURE_BOOK = """# Demo Service

## Standard Operating Procedures

### Reindex Procedure

**Steps**:
1. Rebuild the index: `echo reindexed >> reindex.txt` {unattended}

## Maintenance Procedures

### Regular Maintenance Tasks

| Task | Frequency | Owner | Last Completed | Next Due | Run |
|------|-----------|-------|----------------|----------|-----|
| Weekly reindex | Weekly | dana | | | procedure: Reindex Procedure |
"""


def test_a_procedure_task_runs_on_the_procedure_engine(
    tmp_path: Path, db: Database, tokens: dict[str, str]
) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(PROCEDURE_BOOK)
    state = build_state(book, db)
    state.clock = lambda: NOW
    assert state.worker is not None
    state.worker.poll = 0.05
    with TestClient(create_app(state), base_url="http://127.0.0.1") as client:
        queued = client.post(
            "/api/v1/maintenance/weekly-reindex/run", headers=bearer(tokens["operator"])
        )
        assert queued.status_code == 202
        for _ in range(200):
            runs = service.history(db=db, task="weekly-reindex")
            if runs[0].state not in ("queued", "running"):
                break
            time.sleep(0.05)
    assert runs[0].state == "succeeded", runs[0].detail
    assert runs[0].detail.startswith("procedure run ") and "succeeded" in runs[0].detail
    assert (tmp_path / "reindex.txt").read_text() == "reindexed\n"
    assert "| Weekly reindex | Weekly | dana | 2026-12-02 09:00 UTC |" in book.read_text()
