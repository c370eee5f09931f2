"""The request guard, attacked: NUL, lone surrogates and invalid UTF-8 in every part of a
request are refused with 422 before any route runs, on SQLite and PostgreSQL, and nothing
is stored; valid text (emoji as surrogate-pair escapes) passes; the Alertmanager webhook is
exempt; an unhandled exception's 500 carries the security headers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opsbook.access import service
from opsbook.access.roles import Role
from opsbook.store.database import Database
from opsbook.web.app import create_app
from opsbook.web.middleware import SECURITY_HEADERS
from opsbook.web.runbook_source import RunbookSource
from opsbook.web.state import AppState
from tests.web.conftest import bearer

JSON = {"content-type": "application/json"}


@pytest.fixture
def guarded(runbook_path: Path, database: Database) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A client of the app on `database`, and an admin's bearer header."""
    state = AppState(db=database, source=RunbookSource.load(runbook_path, datetime.now(UTC)))
    state.run_worker = False
    _, token = service.create_token(
        database, name="boss", role=Role.ADMIN, created_by="t", now=datetime.now(UTC)
    )
    with TestClient(create_app(state), base_url="http://127.0.0.1") as client:
        yield client, {"Authorization": f"Bearer {token}"}


def _has_security_headers(headers: object) -> bool:
    return all(
        getattr(headers, "get")(name.decode()) == value.decode()  # noqa: B009
        for name, value in SECURITY_HEADERS
    )


def _nothing_stored(client: TestClient, auth: dict[str, str]) -> None:
    assert client.get("/api/v1/incidents", headers=auth).json() == []
    runs = client.get("/api/v1/runs", headers=auth)
    assert runs.status_code == 200 and runs.json()["total"] == 0


@pytest.mark.parametrize(
    ("escape", "problem"),
    [
        (rb"\u0000", "contains a NUL character"),
        (rb"\ud800", "is not valid Unicode (a lone surrogate)"),
        (rb"\uDC00", "is not valid Unicode (a lone surrogate)"),
        (
            rb"\ude00\ud83d",
            "is not valid Unicode (a lone surrogate)",
        ),  # a pair in the wrong order is two lone halves
    ],
)
def test_json_strings_with_nul_or_lone_surrogates_are_refused_and_nothing_is_stored(
    guarded: tuple[TestClient, dict[str, str]], escape: bytes, problem: str
) -> None:
    client, auth = guarded
    incident = b'{"severity": "SEV-2", "title": "down' + escape + b'"}'
    answer = client.post("/api/v1/incidents", headers={**auth, **JSON}, content=incident)
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith(f"body.title {problem}")
    run = b'{"params": {"VERSION": "1.2' + escape + b'"}}'
    answer = client.post("/api/v1/procedures/deploy/runs", headers={**auth, **JSON}, content=run)
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith(f"body.params.VERSION {problem}")
    key = b'{"params": {"VERSION' + escape + b'": "1"}}'
    answer = client.post("/api/v1/procedures/deploy/runs", headers={**auth, **JSON}, content=key)
    assert answer.status_code == 422 and "a key in body.params" in answer.json()["detail"]
    _nothing_stored(client, auth)


def test_an_emoji_sent_as_a_surrogate_pair_escape_is_stored_as_the_emoji(
    guarded: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = guarded
    body = rb'{"severity": "SEV-2", "title": "on fire \ud83d\udd25 \\u0000 is text here"}'
    answer = client.post("/api/v1/incidents", headers={**auth, **JSON}, content=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["title"] == "on fire \U0001f525 \\u0000 is text here"


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("/api/v1/runs?procedure=a%00b", "query parameter 'procedure'"),
        ("/api/v1/runs?status=%ED%A0%80", "query parameter 'status'"),  # an encoded surrogate
        ("/api/v1/runs?procedure=%FF", "query parameter 'procedure'"),
        ("/api/v1/procedures/startup%00", "the URL path"),
        ("/api/v1/procedures/%C0%80", "the URL path"),  # an overlong NUL
        ("/procedures/%ED%B0%80", "the URL path"),
        ("/incidents?x=%00", "query parameter 'x'"),
    ],
)
def test_a_path_or_query_that_is_not_text_is_refused_with_422(
    guarded: tuple[TestClient, dict[str, str]], url: str, where: str
) -> None:
    client, auth = guarded
    answer = client.get(url, headers=auth)
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith(where)
    assert _has_security_headers(answer.headers)


def test_form_fields_that_are_not_text_are_refused_urlencoded_and_multipart(
    guarded: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = guarded
    made = client.post("/api/v1/incidents", headers=auth, json={"severity": "SEV-2", "title": "x"})
    notes = f"/incidents/{made.json()['id']}/notes/add"
    urlencoded = client.post(notes, headers=auth, data={"text": "rm -rf /\x00"})
    assert urlencoded.status_code == 422
    assert urlencoded.json()["detail"].startswith("form field 'text' contains a NUL")
    raw = client.post(
        notes,
        headers={**auth, "content-type": "application/x-www-form-urlencoded"},
        content=b"kind=note&text=%ED%A0%80",
    )
    assert raw.status_code == 422 and "form field 'text' is not valid UTF-8" in raw.text
    multipart = client.post(notes, headers=auth, files={"text": (None, b"bad \xff")})
    assert multipart.status_code == 422
    assert multipart.json()["detail"].startswith("form field 'text' is not valid UTF-8")
    timeline = client.get(f"/api/v1/incidents/{made.json()['id']}", headers=auth).json()
    assert [e for e in timeline["timeline"] if e["kind"] == "note"] == []
    # A file's bytes are its own: only the text fields of a multipart form are checked.
    with_file = client.post(
        notes,
        headers=auth,
        files={"text": (None, b"fine"), "attachment": ("a.bin", b"\x00\xff\xfe")},
        follow_redirects=False,
    )
    assert with_file.status_code == 303


def test_the_alertmanager_webhook_is_exempt_from_the_text_checks(
    client: TestClient, tokens: dict[str, str]
) -> None:
    body = (
        b'{"version": "4", "status": "firing", "receiver": "opsbook", "groupKey": "{}:{}",'
        b' "alerts": [{"status": "firing", "labels": {"alertname": "Odd\\u0000Name"},'
        b' "annotations": {}, "startsAt": "2026-11-27T03:00:00Z",'
        b' "fingerprint": "00000000000000aa"}]}'
    )
    headers = {"Authorization": f"Bearer {tokens['ingest']}", **JSON}
    answer = client.post("/api/v1/alertmanager", headers=headers, content=body)
    # The guard let it through; the route stored the alert with the NUL replaced.
    assert answer.status_code == 200, answer.text
    alerts = client.get("/api/v1/alerts", headers=bearer(tokens["viewer"])).json()
    assert [a["name"] for a in alerts] == ["Odd\ufffdName"]


def test_an_unhandled_exception_answers_500_with_the_security_headers(state: AppState) -> None:
    app = create_app(state)

    def explode() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", explode)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/boom")
    assert answer.status_code == 500
    assert answer.json() == {"detail": "the server failed to answer this request; its log says why"}
    assert _has_security_headers(answer.headers)
    metrics = state.metrics.exposition().decode()
    assert 'opsbook_http_requests_total{method="GET",route="/boom",status="500"} 1.0' in metrics
