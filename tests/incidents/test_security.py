"""Security incidents: the shutdown guard in the procedure service, paging the Security Lead."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.incidents import service
from opsbook.incidents.guard import REFUSAL, ShutdownGuard, ShutdownRefused
from opsbook.incidents.shutdown import command_stops, shutdown_reasons
from opsbook.procedures.drive import this_process
from opsbook.procedures.guard import Override
from opsbook.procedures.plan import PlanError, build_plan
from opsbook.procedures.service import start_run
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database
from tests.incidents.clock import FakeClock


@pytest.mark.parametrize(
    ("command", "found"),
    [
        ("shutdown -h now", "shutdown -h now"),
        ("sudo systemctl stop nginx", "systemctl stop"),
        ("kill -TERM $(cat pid)", "kill -TERM $(cat"),
        ("/sbin/poweroff", "/sbin/poweroff"),
        ("cd /srv && bin/tinyweb stop --timeout 20", "bin/tinyweb stop"),
        ("docker stop web", "docker stop"),
        ("FOO=1 pkill -f tinyweb", "pkill -f tinyweb"),
        ("bin/tinyweb logs --expect 'stopped cleanly'", None),
        ("echo stop", None),
        ("bin/tinyweb status --stopped", None),
        ("bin/tinyweb start", None),
        # Quotes and backslashes do not hide a verb (the quick check strips them first).
        ('systemctl st""op web', "systemctl stop"),
        ("docker 'stop' web", "docker stop"),
        ("service web s\\top", "service web stop"),
        ("grep -q root /etc/passwd", None),
    ],
)
def test_commands_that_shut_something_down_are_recognised(command: str, found: str | None) -> None:
    assert command_stops(command) == found


def test_names_that_say_shutdown_are_recognised() -> None:
    assert shutdown_reasons("Shutdown Procedure", [])
    assert shutdown_reasons("Halt the cluster", [])
    assert not shutdown_reasons("Startup Procedure", [("step 1", "bin/tinyweb start")])


def _open(db: Database, book: Runbook, clock: FakeClock, security: bool) -> int:
    opened = service.open_incident(
        db=db,
        runbook=book,
        title="Odd logins",
        actor="priya",
        severity_level="SEV-1",
        now=clock(),
        security=security,
    )
    return opened.incident.id


def test_security_incident_pages_the_security_lead_at_once(db: Database, book: Runbook) -> None:
    incident_id = _open(db, book, FakeClock(), security=True)
    pages = service.show_incident(db=db, incident_id=incident_id).pages
    assert [(p.role, p.address) for p in pages] == [
        ("Primary Owner", "ana.ruiz@example.com"),
        ("Security Lead", "priya.natarajan@example.com"),
    ]


def test_shutdown_is_refused_while_a_security_incident_is_open(
    db: Database, book: Runbook, book_path: Path
) -> None:
    clock = FakeClock()
    guard = ShutdownGuard(lambda: db)
    plan = build_plan(book, target="shutdown", params={}, environ={})
    me = this_process("sam")
    start_run(db=db, plan=plan, me=me, now=clock, guard=guard)  # no incident: allowed
    _open(db, book, clock, security=False)
    start_run(db=db, plan=plan, me=me, now=clock, guard=guard)  # an ordinary incident: allowed
    incident_id = _open(db, book, clock, security=True)
    with pytest.raises(ShutdownRefused) as refused:
        start_run(db=db, plan=plan, me=me, now=clock, guard=guard)
    assert isinstance(refused.value, PlanError)  # the CLI and API report it as bad input
    assert REFUSAL in refused.value.problems[0]
    assert "step 1/2 (Send SIGTERM" in "\n".join(refused.value.problems)
    assert f"opsbook incidents force-run {incident_id} shutdown" in refused.value.hint
    warmup = build_plan(book, target="cache-warmup", params={}, environ={})
    # Not a shutdown: allowed.
    assert start_run(db=db, plan=warmup, me=me, now=clock, guard=guard) > 0


def test_only_an_admin_with_a_reason_can_force_it_and_the_reason_is_kept(
    db: Database, book: Runbook
) -> None:
    clock = FakeClock()
    guard = ShutdownGuard(lambda: db)
    plan = build_plan(book, target="shutdown", params={}, environ={})
    me = this_process("lena")
    incident_id = _open(db, book, clock, security=True)
    with pytest.raises(ShutdownRefused, match="only an admin"):
        start_run(
            db=db,
            plan=plan,
            me=me,
            now=clock,
            guard=guard,
            override=Override("sam", "it is on fire", admin=False),
        )
    with pytest.raises(ShutdownRefused):
        blank = Override("lena", " ", admin=True)
        start_run(db=db, plan=plan, me=me, now=clock, guard=guard, override=blank)
    run_id = start_run(
        db=db,
        plan=plan,
        me=me,
        now=clock,
        guard=guard,
        override=Override("lena", "disk is being wiped", admin=True),
    )
    assert run_id > 0
    last = service.show_incident(db=db, incident_id=incident_id).timeline[-1]
    assert last.kind == "forced" and last.actor == "lena"
    assert last.text.endswith("disk is being wiped")
    service.resolve(db=db, incident_id=incident_id, actor="priya", now=clock())
    assert start_run(db=db, plan=plan, me=me, now=clock, guard=guard) > 0  # resolved: allowed again


def test_log_locations_are_captured_as_evidence_named_by_their_hash(
    db: Database, book: Runbook, book_path: Path, tmp_path: Path
) -> None:
    import hashlib

    from opsbook.evidence.place import EvidenceDir
    from opsbook.incidents.review import capture_logs

    log = book_path.parent / "var" / "state" / "tinyweb.log"
    log.parent.mkdir(parents=True)
    (book_path.parent / ".opsbook").mkdir()
    log.write_bytes(b"2026-11-27 03:00 GET /items 200\n" * 1000)
    vault = tmp_path / "state" / "evidence"
    clock = FakeClock()
    incident_id = _open(db, book, clock, security=True)
    rows = capture_logs(
        db=db, runbook=book, incident_id=incident_id, vault=vault, actor="priya", now=clock()
    )
    digest = hashlib.sha256(log.read_bytes()).hexdigest()
    assert rows[0].source == "var/state/tinyweb.log"
    assert rows[0].sha256 == digest and rows[0].size == 32000
    stored = vault / "sha256" / digest[:2] / digest
    assert rows[0].stored_as == str(stored)
    assert stored.read_bytes() == log.read_bytes()
    assert list((vault / "tmp").iterdir()) == []  # no temporary file left
    [record] = EvidenceDir(vault).ledger.records()  # its custody starts with the incident
    assert (record.action, record.sha256, record.incident) == ("collected", digest, incident_id)
    assert record.actor == "priya"
    problems = {r.source: r.problem for r in rows[1:]}
    assert problems["var/state/tinyweb.log.1.gz"] == "not found"
    assert problems[".opsbook/"].startswith("is a directory")
    event = service.show_incident(db=db, incident_id=incident_id).timeline[-1]
    assert event.kind == "evidence" and event.text.startswith("Captured 1 log file")
    assert event.data["files"] == [digest]


def test_a_waiting_shutdown_run_cannot_go_on_once_a_security_incident_opens(
    db: Database, book: Runbook
) -> None:
    import asyncio

    from opsbook.procedures.confirm import NobodyConfirmer
    from opsbook.procedures.executors.local import LocalExecutor
    from opsbook.procedures.executors.ssh_hosts import SshHosts
    from opsbook.procedures.replan import prepare_resume
    from opsbook.procedures.runner import QuietReporter
    from opsbook.procedures.service import execute_run

    clock = FakeClock()
    guard = ShutdownGuard(lambda: db)
    me = this_process("sam")
    plan = build_plan(book, target="shutdown", params={}, environ={})
    run_id = start_run(db=db, plan=plan, me=me, now=clock, guard=guard)
    end = asyncio.run(
        execute_run(
            db=db,
            plan=plan,
            run_id=run_id,
            confirmer=NobodyConfirmer(),
            reporter=QuietReporter(),
            local=LocalExecutor(),
            remote=SshHosts(book),
            now=clock,
        )
    )
    assert str(end.status) == "waiting"  # the stakeholders check needs a person
    _open(db, book, clock, security=True)
    with pytest.raises(ShutdownRefused):
        prepare_resume(db=db, run_id=run_id, me=me, environ={}, now=clock, guard=guard)


def test_an_alert_cannot_start_a_shutdown_while_a_security_incident_is_open(
    db: Database, book: Runbook, book_path: Path
) -> None:
    import asyncio

    from opsbook.procedures.stores.tables import RunRow
    from opsbook.web.alert_runs import EngineStarter
    from opsbook.web.runbook_source import RunbookSource
    from opsbook.web.state import AppState

    clock = FakeClock()
    state = AppState(db=db, source=RunbookSource.load(book_path, clock()), clock=clock)
    _open(db, book, clock, security=True)
    starter = EngineStarter.for_server(state)  # as the server's monitoring worker builds it
    with pytest.raises(ShutdownRefused):
        asyncio.run(starter.start(procedure="shutdown", alert_id=7, reason="disk full"))
    with db.transaction() as session:
        assert session.query(RunRow).count() == 0
