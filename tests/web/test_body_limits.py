"""Request bodies over their stated limit are refused with 413 by a real Uvicorn server,
whether they declare their size (Content-Length) or stream it (chunked), and nothing of
them is stored: 1 MiB for the API and forms, 8 MiB for the Alertmanager webhook."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from opsbook.access import service
from opsbook.access.roles import Role
from opsbook.store.database import Database
from opsbook.web.request_guard import MAX_BODY, MAX_WEBHOOK_BODY
from opsbook.web.runbook_source import RunbookSource
from opsbook.web.state import AppState
from tests.monitoring.live import serving

pytestmark = pytest.mark.process

CHUNK = 64 * 1024


@pytest.fixture
def server(runbook_path: Path, db: Database) -> Iterator[tuple[str, dict[str, str]]]:
    """A real server on SQLite; its base URL and the bearer headers by role."""
    state = AppState(db=db, source=RunbookSource.load(runbook_path, datetime.now(UTC)))
    state.run_worker = False
    now = datetime.now(UTC)
    headers = {}
    for role in (Role.ADMIN, Role.INGEST):
        _, token = service.create_token(db, name=role.value, role=role, created_by="t", now=now)
        headers[role.value] = f"Bearer {token}"
    with serving(state) as url:
        yield url, headers


def _post(
    url: str, path: str, headers: dict[str, str], body: bytes, *, streamed: bool
) -> tuple[int, dict[str, Any]]:
    """POST `body` over a real connection, declared or chunked; return status and JSON."""
    where = urlsplit(url)
    connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=60)
    try:
        if streamed:
            chunks: Iterator[bytes] = (body[i : i + CHUNK] for i in range(0, len(body), CHUNK))
            connection.request("POST", path, body=chunks, headers=headers, encode_chunked=True)
        else:
            connection.request("POST", path, body=body, headers=headers)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered before taking the rest: the answer is still there to read
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, json.loads(data) if data else {}


def _alerts_body(alerts: int, summary: int) -> bytes:
    """Return an Alertmanager webhook body of `alerts` alerts with summaries this long."""
    payload = {"version": "4", "status": "firing", "receiver": "opsbook", "groupKey": "{}:{}"}
    listed = [
        {
            "status": "firing",
            "labels": {"alertname": "Big", "instance": f"host{i}"},
            "annotations": {"summary": "x" * summary},
            "startsAt": "2026-11-27T03:00:00Z",
            "fingerprint": f"{i:016x}",
        }
        for i in range(alerts)
    ]
    return json.dumps({**payload, "alerts": listed}).encode()


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_an_api_body_over_1_mib_is_refused_with_413_and_nothing_is_stored(
    server: tuple[str, dict[str, str]], streamed: bool
) -> None:
    url, auth = server
    title = "x" * (MAX_BODY + 1)
    body = json.dumps({"severity": "SEV-2", "title": title}).encode()
    headers = {"Authorization": auth["admin"], "Content-Type": "application/json"}
    status, answer = _post(url, "/api/v1/incidents", headers, body, streamed=streamed)
    assert status == 413
    assert answer["detail"].startswith(f"the request body is over the limit of {MAX_BODY} bytes")
    listed = _get(url, "/api/v1/incidents", auth["admin"])
    assert listed == []


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_a_form_body_over_1_mib_is_refused_with_413(
    server: tuple[str, dict[str, str]], streamed: bool
) -> None:
    url, auth = server
    body = b"severity=SEV-2&title=" + b"x" * MAX_BODY
    headers = {"Authorization": auth["admin"], "Content-Type": "application/x-www-form-urlencoded"}
    status, answer = _post(url, "/incidents", headers, body, streamed=streamed)
    assert status == 413 and "1 MiB" in answer["detail"]


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_a_50_mb_webhook_is_refused_with_413_and_no_alert_is_stored(
    server: tuple[str, dict[str, str]], streamed: bool
) -> None:
    url, auth = server
    headers = {"Authorization": auth["ingest"], "Content-Type": "application/json"}
    body = _alerts_body(1, 50 * 1000 * 1000)  # one alert: what was stored in full
    status, answer = _post(url, "/api/v1/alertmanager", headers, body, streamed=streamed)
    assert status == 413
    assert f"{MAX_WEBHOOK_BODY} bytes (8 MiB)" in answer["detail"]
    assert _get(url, "/api/v1/alerts", auth["admin"]) == []


def test_a_webhook_over_1_mib_but_under_8_is_accepted(
    server: tuple[str, dict[str, str]],
) -> None:
    url, auth = server
    headers = {"Authorization": auth["ingest"], "Content-Type": "application/json"}
    body = _alerts_body(2000, 1000)  # a big group, as Alertmanager sends it
    assert MAX_BODY < len(body) < MAX_WEBHOOK_BODY
    status, answer = _post(url, "/api/v1/alertmanager", headers, body, streamed=True)
    assert status == 200, answer


def _get(url: str, path: str, auth: str) -> Any:
    import httpx

    answer = httpx.get(url + path, headers={"Authorization": auth})
    assert answer.status_code == 200
    return answer.json()
