"""Tried as a new user would: the example runbook's maintenance table on the dashboard with
live due times, a task run from there, the runbook file updated with a Version History row."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opsbook.maintenance import service
from opsbook.store.database import Database
from opsbook.web.app import create_app
from opsbook.web.server import build_state
from tests.web.test_pages import sign_in

pytestmark = pytest.mark.process  # the example's own commands run

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tinyweb"
NOW = datetime(2026, 12, 2, 16, 40, tzinfo=UTC)


def test_the_example_runbooks_table_on_the_dashboard_and_a_run_from_there(
    tmp_path: Path, db: Database, tokens: dict[str, str]
) -> None:
    folder = tmp_path / "tinyweb"
    shutil.copytree(EXAMPLE, folder)
    book = folder / "RUNBOOK.md"
    before = book.read_text()
    state = build_state(book, db)
    state.clock = lambda: NOW
    assert state.worker is not None
    state.worker.poll = 0.05
    with TestClient(create_app(state), base_url="http://127.0.0.1") as client:
        csrf = sign_in(client, tokens["operator"])
        overview = client.get("/").text
        start = overview.index('data-panel="maintenance"')
        panel = overview[start : overview.index("</section>", start)]
        assert "not live yet" not in panel
        for task, due in (
            ("Backup (Backup Procedure)", "ok, due 2026-12-03 00:00 UTC"),
            ("Log rotation (Log Rotation Procedure)", "ok, due 2026-12-03 00:00 UTC"),
            ("Restore test into a scratch directory", "ok, due 2026-12-07 00:00 UTC"),
            ("Dependency updates (Python and the OS packages)", "ok, due 2027-01-01 00:00 UTC"),
            ("Security patches", "As needed"),
        ):
            assert f'{task}</a>\n        <span class="muted"> — {due}' in panel, task

        key = "log-rotation-log-rotation-procedure"
        page = client.get("/maintenance").text
        assert f'action="/maintenance/{key}/run"' in page
        ran = client.post(f"/maintenance/{key}/run", data={"csrf_token": csrf})
        assert ran.status_code == 200  # followed to the page
        for _ in range(200):
            runs = service.history(db=db, task=key)
            if runs and runs[0].state not in ("queued", "running"):
                break
            time.sleep(0.05)
    assert runs[0].state == "succeeded", runs[0].detail
    after = book.read_text()
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert changed == [
        "| Log rotation (Log Rotation Procedure) | Daily | Operations Lead | 2026-12-02 16:40 UTC"
        " | 2026-12-03 00:00 UTC | `bin/tinyweb rotate-logs --keep 7` |",
        "| 1.1 | 2026-12-02 | operator-user | Log rotation (Log Rotation Procedure): completed "
        "2026-12-02 16:40 UTC |",
    ]
