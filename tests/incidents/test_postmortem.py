"""Post-mortems pre-filled from the timeline, and the runbook taught a new issue."""

from __future__ import annotations

from pathlib import Path

from opsbook.incidents import service
from opsbook.incidents.review import teach_runbook, write_postmortem
from opsbook.runbook.loader import load_runbook
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database
from tests.incidents.clock import FakeClock

SECTIONS = [
    "Summary",
    "Impact",
    "Root Causes",
    "Trigger",
    "Resolution",
    "Detection",
    "Action Items",
    "Lessons Learned",
    "Timeline",
    "Supporting Evidence",
]


def _worked_incident(db: Database, book: Runbook, clock: FakeClock) -> int:
    opened = service.open_incident(
        db=db,
        runbook=book,
        title="Request flood from one client",
        severity_level="SEV-2",
        actor="monitoring",
        now=clock(),
        cause="rule:request-rate",
        alert="Request rate > 200 for 10 minutes",
    )
    incident_id = opened.incident.id
    clock.advance(minutes=12)
    service.acknowledge(db=db, incident_id=incident_id, actor="ana", now=clock())
    service.link_run(
        db=db,
        incident_id=incident_id,
        run_id=41,
        actor="ana",
        now=clock(),
        text="Ran Issue: x (diagnosis), run 41: succeeded",
        data={
            "attempts": [
                {
                    "text": "Count requests per address",
                    "command": "bin/tinyweb logs -n 500 | sort | uniq -c",
                }
            ]
        },
    )
    for kind, text in [
        ("root-cause", "No per-client rate limit"),
        ("impact", "Slow answers for 20 minutes"),
        ("resolution", "Blocked the address at the proxy"),
        ("lesson", "Watch the request rate per client"),
    ]:
        service.add_note(
            db=db, incident_id=incident_id, text=text, actor="ana", now=clock(), kind=kind
        )
    service.add_action_item(
        db=db,
        incident_id=incident_id,
        text="Rate-limit per client",
        owner="Lena Vogel",
        actor="ana",
        now=clock(),
    )
    clock.advance(minutes=20)
    service.resolve(db=db, incident_id=incident_id, actor="ana", now=clock())
    return incident_id


def test_postmortem_has_every_section_pre_filled(
    db: Database, book: Runbook, tmp_path: Path
) -> None:
    clock = FakeClock()
    incident_id = _worked_incident(db, book, clock)
    target = tmp_path / "pm" / f"incident-{incident_id}.md"
    result = write_postmortem(
        db=db, runbook=book, incident_id=incident_id, target=target, actor="ana", now=clock()
    )
    text = target.read_text()
    assert result.markdown == text
    headings = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    assert headings == SECTIONS
    assert "| Time to acknowledge | 12 min |" in text
    assert "| Time to resolve | 32 min |" in text
    assert "- No per-client rate limit (ana" in text
    assert "- Request rate > 200 for 10 minutes" in text  # the trigger, from the alert
    assert "| 1 | Rate-limit per client | Lena Vogel | open |" in text
    assert "- Run 41: Ran Issue" in text
    assert "High: it answers but badly" in text
    kinds = [e.kind for e in service.show_incident(db=db, incident_id=incident_id).timeline]
    assert kinds[-1] == "postmortem"


def test_update_runbook_adds_the_lesson_as_a_troubleshooting_issue(
    db: Database, book: Runbook, book_path: Path
) -> None:
    clock = FakeClock()
    incident_id = _worked_incident(db, book, clock)
    before = book_path.read_bytes()
    result = teach_runbook(
        db=db, runbook_path=book_path, incident_id=incident_id, actor="ana", now=clock()
    )
    assert result.version == "1.1"
    taught = load_runbook(book_path)
    issue = taught.issue("request-flood-from-one-client")
    assert issue is not None
    assert issue.symptoms == ("Request rate > 200 for 10 minutes",)
    assert issue.diagnosis[0].command == "bin/tinyweb logs -n 500 | sort | uniq -c"
    assert issue.resolution[0].text == "Blocked the address at the proxy"
    assert issue.prevention == ("Rate-limit per client",)
    assert taught.version_history[-1].author == "ana"
    after = book_path.read_bytes()
    assert len(after) > len(before) and after.startswith(before[:4000])
    try:
        teach_runbook(
            db=db, runbook_path=book_path, incident_id=incident_id, actor="ana", now=clock()
        )
    except service.BadInput as exc:
        assert "already has an issue" in str(exc)
    else:
        raise AssertionError("teaching the same issue twice must be refused")
    assert book_path.read_bytes() == after
