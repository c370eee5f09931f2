"""Incident routes refuse what they cannot do with a 4xx and a message, on SQLite and
PostgreSQL, and start or store nothing: a missing incident's diagnosis or forced run, texts
over their bounds (API, form and use case alike), empty form fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from opsbook.errors import TooLarge
from opsbook.incidents import service
from opsbook.store.database import Database


def _runs(client: TestClient, auth: dict[str, str]) -> int:
    total: int = client.get("/api/v1/runs", headers=auth).json()["total"]
    return total


def _open(client: TestClient, auth: dict[str, str]) -> int:
    made = client.post("/api/v1/incidents", headers=auth, json={"severity": "SEV-3", "title": "x"})
    assert made.status_code == 201
    number: int = made.json()["id"]
    return number


def test_diagnose_on_a_missing_incident_is_404_and_starts_no_run(
    admin: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = admin
    answer = client.post("/incidents/4242/diagnose/disk-filling-up", headers=auth)
    assert answer.status_code == 404 and "no incident 4242" in answer.json()["detail"]
    assert _runs(client, auth) == 0


def test_force_on_a_missing_incident_is_404_and_starts_no_run(
    admin: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = admin
    form = {"procedure": "shutdown", "reason": "the attacker is deleting data"}
    answer = client.post("/incidents/4242/force", headers=auth, data=form)
    assert answer.status_code == 404 and "no incident 4242" in answer.json()["detail"]
    assert _runs(client, auth) == 0


def test_a_note_over_its_bound_is_refused_by_the_api_the_form_and_the_use_case(
    admin: tuple[TestClient, dict[str, str]], database: Database
) -> None:
    client, auth = admin
    incident_id = _open(client, auth)
    long_note = "n" * (service.MAX_NOTE + 1)
    api = client.post(
        f"/api/v1/incidents/{incident_id}/notes", headers=auth, json={"text": long_note}
    )
    assert api.status_code == 422
    form = client.post(
        f"/incidents/{incident_id}/notes/add", headers=auth, data={"text": long_note}
    )
    assert form.status_code == 422 and form.json()["detail"][0]["loc"] == ["body", "text"]
    with pytest.raises(TooLarge, match=f"at most {service.MAX_NOTE}"):
        service.add_note(
            db=database, incident_id=incident_id, text=long_note, actor="cli", now=datetime.now(UTC)
        )
    timeline = client.get(f"/api/v1/incidents/{incident_id}", headers=auth).json()["timeline"]
    assert not [e for e in timeline if e["kind"] == "note"]
    at_bound = "n" * service.MAX_NOTE
    kept = client.post(
        f"/api/v1/incidents/{incident_id}/notes", headers=auth, json={"text": at_bound}
    )
    assert kept.status_code == 201 and kept.json()["text"] == at_bound


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("notes/add", {"text": " "}),
        ("updates/add", {"text": ""}),
        ("actions/add", {"text": "fix it", "owner": " "}),
        ("resolve", {"text": "r" * (service.MAX_REMARK + 1)}),
        ("actions/add", {"text": "fix it", "owner": "o" * (service.MAX_OWNER + 1)}),
    ],
)
def test_empty_or_overlong_form_fields_are_refused_with_422(
    admin: tuple[TestClient, dict[str, str]], path: str, form: dict[str, str]
) -> None:
    client, auth = admin
    incident_id = _open(client, auth)
    answer = client.post(f"/incidents/{incident_id}/{path}", headers=auth, data=form)
    assert answer.status_code == 422, answer.text
    timeline = client.get(f"/api/v1/incidents/{incident_id}", headers=auth).json()["timeline"]
    assert [e["kind"] for e in timeline if e["kind"] != "page"] == ["opened"]


def test_a_missing_incident_is_404_on_every_incident_route(
    admin: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = admin
    for method, path, form in (
        ("get", "/api/v1/incidents/4242", None),
        ("post", "/api/v1/incidents/4242/ack", None),
        ("get", "/incidents/4242", None),
        ("get", "/incidents/4242/timeline", None),
        ("get", "/incidents/4242/postmortem.md", None),
        ("post", "/incidents/4242/notes/add", {"text": "hello"}),
        ("post", "/incidents/4242/actions/add", {"text": "fix", "owner": "me"}),
        ("post", "/incidents/4242/actions/1/done", None),
        ("post", "/incidents/4242/update-runbook", None),
        ("post", "/incidents/4242/resolve", None),
    ):
        answer = client.request(method, path, headers=auth, data=form)
        assert answer.status_code == 404, (path, answer.text)
