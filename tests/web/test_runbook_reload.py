"""The server reloads a changed runbook; a bad one is refused and the last good one stays."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from opsbook.web.state import AppState
from tests.web.conftest import bearer


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_changed_runbook_is_served_after_reload(
    runbook_path: Path, state: AppState, client: TestClient, tokens: dict[str, str]
) -> None:
    _write(runbook_path, runbook_path.read_text().replace("Demo Service", "Renamed Service"))
    assert state.source.reload_if_changed(datetime.now(UTC)) is True
    body = client.get("/api/v1/runbook", headers=bearer(tokens["viewer"])).json()
    assert body["system"]["name"] == "Renamed Service"


def test_a_bad_runbook_is_refused_and_the_last_good_one_stays_live(
    runbook_path: Path, state: AppState, client: TestClient, tokens: dict[str, str]
) -> None:
    good = runbook_path.read_text()
    bad = good.replace(
        "1. Write the marker: `echo started`", "1. Write the marker: `echo started` {nonsense=1}"
    )
    _write(runbook_path, bad)
    assert state.source.reload_if_changed(datetime.now(UTC)) is False
    viewer = bearer(tokens["viewer"])
    assert client.get("/api/v1/procedures/startup", headers=viewer).status_code == 200
    status = client.get("/api/v1/runbook/status", headers=viewer).json()
    assert status["problems"] and status["problems"][0]["line"] == 36
    assert "nonsense" in status["problems"][0]["message"]
    assert client.get("/api/v1/health").json()["runbook_refused"] is True
    page = client.get("/", headers=viewer)
    assert "was refused" in page.text and "nonsense" in page.text

    _write(runbook_path, good)
    assert state.source.reload_if_changed(datetime.now(UTC)) is True
    assert client.get("/api/v1/runbook/status", headers=viewer).json()["problems"] == []


def test_an_unchanged_runbook_is_not_reparsed(state: AppState) -> None:
    before = state.source.runbook
    assert state.source.reload_if_changed(datetime.now(UTC)) is False
    assert state.source.runbook is before
