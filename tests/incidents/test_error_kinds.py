"""One error path for incidents: an unknown incident or issue, an unknown severity and a
final one are kinds of opsbook/errors.py, answered once by the app (404, 422, 409) and once
by the CLI (exit 2, 2, 1); and the API and `--json` present an incident's view alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opsbook.cli.output import json_data
from opsbook.errors import ErrorKind, Refused
from opsbook.incidents import service
from opsbook.incidents.severity import UnknownSeverity
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database
from opsbook.web.incident_schemas import IncidentDetailOut, IncidentOut
from tests.incidents.cli import cli
from tests.incidents.clock import FakeClock


def _opened(db: Database, book: Runbook, clock: FakeClock) -> int:
    return service.open_incident(
        db=db, runbook=book, title="Items lost", severity_level="SEV-2", actor="ana", now=clock()
    ).incident.id


def test_an_unknown_severity_is_bad_input_and_a_closed_incidents_is_refused(
    db: Database, book: Runbook
) -> None:
    clock = FakeClock()
    incident_id = _opened(db, book, clock)
    with pytest.raises(UnknownSeverity, match='severity "SEV-9" is not in') as unknown:
        service.change_severity(
            db=db,
            runbook=book,
            incident_id=incident_id,
            severity_level="SEV-9",
            actor="a",
            now=clock(),
        )
    assert unknown.value.kind is ErrorKind.BAD_INPUT
    assert unknown.value.hint == "use a level of the runbook's Severity Levels table"
    service.resolve(db=db, incident_id=incident_id, actor="ana", now=clock())
    with pytest.raises(Refused, match="its severity is final") as final:
        service.change_severity(
            db=db,
            runbook=book,
            incident_id=incident_id,
            severity_level="SEV-1",
            actor="a",
            now=clock(),
        )
    assert final.value.kind is ErrorKind.REFUSED
    assert service.show_incident(db=db, incident_id=incident_id).severity == "SEV-2"


def test_an_unknown_incident_or_issue_is_404_and_a_bad_severity_422_over_http(
    admin: tuple[TestClient, dict[str, str]],
) -> None:
    http, auth = admin
    missing = http.get("/api/v1/incidents/4242", headers=auth)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "no incident 4242 (list them: opsbook incidents list)"}
    page = http.get("/incidents/4242", headers={**auth, "Accept": "text/html"})
    assert page.status_code == 404 and "no incident 4242" in page.text
    made = http.post("/api/v1/incidents", headers=auth, json={"severity": "SEV-3", "title": "x"})
    incident_id = made.json()["id"]
    issue = http.post(f"/incidents/{incident_id}/diagnose/no-such-issue", headers=auth)
    assert issue.status_code == 404
    assert issue.json() == {"detail": "no troubleshooting issue 'no-such-issue' in the runbook"}
    assert http.get("/api/v1/runs", headers=auth).json()["total"] == 0
    bad = http.post("/api/v1/incidents", headers=auth, json={"severity": "SEV-9", "title": "y"})
    assert bad.status_code == 422 and 'severity "SEV-9" is not in' in bad.json()["detail"]
    assert len(http.get("/api/v1/incidents", headers=auth).json()) == 1


@pytest.mark.process
def test_an_unknown_incident_or_issue_exits_2_and_a_final_severity_exits_1(
    book_path: Path,
) -> None:
    missing = cli(book_path, "show", "99")
    assert (missing.returncode, missing.stderr) == (
        2,
        "error: no incident 99\n  hint: list them: opsbook incidents list\n",
    )
    assert cli(book_path, "open", "-s", "SEV-3", "-t", "Slow").returncode == 0
    issue = cli(book_path, "diagnose", "1", "no-such-issue")
    assert issue.returncode == 2, issue.stderr
    assert issue.stderr.startswith('error: no troubleshooting issue "no-such-issue" in ')
    unknown = cli(book_path, "severity", "1", "SEV-9")
    assert unknown.returncode == 2, unknown.stderr
    assert unknown.stderr.splitlines()[1] == (
        "  hint: use a level of the runbook's Severity Levels table"
    )
    assert cli(book_path, "resolve", "1").returncode == 0
    final = cli(book_path, "severity", "1", "SEV-1")
    assert (final.returncode, final.stderr) == (
        1,
        "error: incident 1 is resolved; its severity is final\n",
    )


def test_the_api_and_json_present_an_incidents_view_alike(db: Database, book: Runbook) -> None:
    clock = FakeClock()
    incident_id = _opened(db, book, clock)
    service.add_note(db=db, incident_id=incident_id, text="disk full", actor="sam", now=clock())
    service.add_action_item(
        db=db, incident_id=incident_id, text="Alert at 70%", owner="Lena", actor="sam", now=clock()
    )
    shown = service.show_incident(db=db, incident_id=incident_id)
    api = IncidentDetailOut.model_validate(shown, from_attributes=True).model_dump(mode="json")
    assert api == json_data(shown)
    assert api["respond_by"] == "2026-11-27T04:00:00+00:00"
    assert [e["kind"] for e in api["timeline"]] == ["opened", "triage", "page", "note", "action"]
    listed = service.list_incidents(db=db).items[0]
    assert IncidentOut.model_validate(listed, from_attributes=True).model_dump(
        mode="json"
    ) == json_data(listed)
