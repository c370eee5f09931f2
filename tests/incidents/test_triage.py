"""Triage against the troubleshooting guide, and a diagnosis run landing in the timeline."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from opsbook.incidents import service
from opsbook.incidents.diagnosis import run_diagnosis
from opsbook.incidents.guard import ShutdownGuard
from opsbook.incidents.triage import best_matches
from opsbook.procedures.confirm import AutoConfirmer
from opsbook.procedures.drive import this_process
from opsbook.procedures.executors.local import LocalExecutor
from opsbook.procedures.executors.ssh_hosts import SshHosts
from opsbook.procedures.runner import QuietReporter
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database
from tests.incidents.clock import FakeClock


def test_an_alert_named_in_the_symptoms_ranks_its_issue_first(book: Runbook) -> None:
    matches = best_matches(book, title="Disk usage critical on web-1")
    assert matches[0].issue_id == "disk-filling-up"
    assert 'symptoms name "Disk usage"' in matches[0].reasons


def test_words_of_the_title_find_the_issue(book: Runbook) -> None:
    assert best_matches(book, title="tinyweb will not start")[0].issue_id == (
        "tinyweb-will-not-start"
    )
    assert best_matches(book, title="unreadable items")[0].issue_id == (
        "items-missing-or-unreadable"
    )


def test_alert_text_counts_like_the_title(book: Runbook) -> None:
    matches = best_matches(book, title="pager", alerts=["Service health < 1 for 1 minute"])
    assert [m.issue_id for m in matches] == ["tinyweb-will-not-start"]


def test_nothing_in_common_matches_nothing(book: Runbook) -> None:
    assert best_matches(book, title="quarterly report typo") == []


def test_opening_records_the_best_matches(db: Database, book: Runbook) -> None:
    opened = service.open_incident(
        db=db,
        runbook=book,
        title="Disk usage at 95%",
        severity_level="SEV-3",
        actor="ana",
        now=FakeClock()(),
    )
    timeline = service.show_incident(db=db, incident_id=opened.incident.id).timeline
    triage = next(e for e in timeline if e.kind == "triage")
    assert triage.data["matches"][0] == "disk-filling-up"


@pytest.mark.process
def test_diagnosis_runs_through_the_engine_and_its_output_lands_in_the_timeline(
    db: Database, book: Runbook, book_path: Path
) -> None:
    (book_path.parent / "var" / "backups").mkdir(parents=True)
    (book_path.parent / "var" / "backups" / "tinyweb-1.tar.gz").write_bytes(b"x" * 10)
    clock = FakeClock()
    opened = service.open_incident(
        db=db,
        runbook=book,
        title="Disk usage at 95%",
        severity_level="SEV-3",
        actor="ana",
        now=clock(),
    )
    incident_id = opened.incident.id
    event = asyncio.run(
        run_diagnosis(
            db=db,
            runbook=book,
            incident_id=incident_id,
            issue=None,
            me=this_process("sam"),
            environ={"PATH": "/usr/bin:/bin"},
            confirmer=AutoConfirmer("sam"),
            reporter=QuietReporter(),
            local=LocalExecutor(),
            remote=SshHosts(book),
            now=clock,
        )
    )
    assert event.kind == "run" and event.data["target"] == "disk-filling-up:diagnosis"
    assert event.data["status"] == "succeeded"
    steps = event.data["attempts"]
    assert [s["command"].split()[0] for s in steps] == ["du", "ls"]
    assert "tinyweb-1.tar.gz" in steps[1]["stdout"]
    timeline = service.show_incident(db=db, incident_id=incident_id).timeline
    assert timeline[-1].data["run_id"] == event.data["run_id"]
    assert timeline[-1].actor == "sam"


def test_diagnosing_an_unknown_issue_is_bad_input(db: Database, book: Runbook) -> None:
    clock = FakeClock()
    opened = service.open_incident(
        db=db, runbook=book, title="x", severity_level="SEV-4", actor="ana", now=clock()
    )
    with pytest.raises(service.BadInput, match="no troubleshooting issue"):
        asyncio.run(
            run_diagnosis(
                db=db,
                runbook=book,
                incident_id=opened.incident.id,
                issue="nope",
                me=this_process("sam"),
                environ={},
                confirmer=AutoConfirmer("sam"),
                reporter=QuietReporter(),
                local=LocalExecutor(),
                remote=SshHosts(book),
                now=clock,
            )
        )


@pytest.mark.process
def test_a_run_started_from_the_dashboard_settles_into_the_timeline_when_it_ends(
    db: Database, book: Runbook
) -> None:
    from opsbook.incidents.diagnosis import settle_runs
    from opsbook.procedures.plan import build_plan
    from opsbook.procedures.service import execute_run, start_run

    clock = FakeClock()
    opened = service.open_incident(
        db=db, runbook=book, title="Disk usage", severity_level="SEV-3", actor="a", now=clock()
    )
    incident_id = opened.incident.id
    me = this_process("sam")
    plan = build_plan(book, target="disk-filling-up:diagnosis", params={}, environ={})
    run_id = start_run(db=db, plan=plan, me=me, now=clock, guard=ShutdownGuard(lambda: db))
    service.link_run(
        db=db,
        incident_id=incident_id,
        run_id=run_id,
        text="started",
        actor="sam",
        now=clock(),
        data={"target": plan.target, "pending": True},
    )
    assert settle_runs(db=db, machine=me.machine, now=clock) == 0  # still running
    asyncio.run(
        execute_run(
            db=db,
            plan=plan,
            run_id=run_id,
            confirmer=AutoConfirmer("sam"),
            reporter=QuietReporter(),
            local=LocalExecutor(),
            remote=SshHosts(book),
            now=clock,
        )
    )
    assert settle_runs(db=db, machine=me.machine, now=clock) == 1
    assert settle_runs(db=db, machine=me.machine, now=clock) == 0  # only once
    last = service.show_incident(db=db, incident_id=incident_id).timeline[-1]
    assert last.text == f"Run {run_id} (disk-filling-up:diagnosis) succeeded"
    assert [a["command"].split()[0] for a in last.data["attempts"]] == ["du", "ls"]
