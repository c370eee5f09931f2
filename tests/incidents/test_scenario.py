"""The issue's story, end to end on the example system: an alert opens a SEV-2, nobody
acknowledges, the backup gets a real email, someone acknowledges, runs the suggested
diagnosis, resolves, and writes the post-mortem."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opsbook.access import service as access
from opsbook.access.roles import Role
from opsbook.incidents import service
from opsbook.incidents.alerts import IncidentOpener
from opsbook.incidents.diagnosis import run_diagnosis
from opsbook.incidents.review import write_postmortem
from opsbook.monitoring.notices import Notice, NoticeKind
from opsbook.procedures.confirm import AutoConfirmer
from opsbook.procedures.drive import this_process
from opsbook.procedures.executors.local import LocalExecutor
from opsbook.procedures.executors.ssh_hosts import SshHosts
from opsbook.procedures.runner import QuietReporter
from opsbook.store.database import Database
from opsbook.web.app import create_app
from opsbook.web.incidents_view import incident_tasks
from opsbook.web.runbook_source import RunbookSource
from opsbook.web.state import AppState
from tests.incidents.clock import FakeClock
from tests.incidents.smtp import Mailbox

pytestmark = pytest.mark.process

EXAMPLE = Path(__file__).parents[2] / "examples" / "tinyweb"


def test_alert_to_postmortem_on_the_example_system(
    tmp_path: Path, db: Database, smtp: Mailbox
) -> None:
    system = tmp_path / "tinyweb"
    shutil.copytree(EXAMPLE, system, ignore=shutil.ignore_patterns("var", ".opsbook"))
    book_path = system / "RUNBOOK.md"
    book_path.write_text(
        book_path.read_text().replace(
            "monitoring:\n",
            f"notifications:\n  email:\n    host: {smtp.host}\n    port: {smtp.port}\n"
            "monitoring:\n",
            1,
        )
    )
    clock = FakeClock()
    state = AppState(
        db=db,
        source=RunbookSource.load(book_path, clock()),
        clock=clock,
        environ={"PATH": "/usr/bin:/bin"},
    )
    book = state.source.runbook
    (tick,) = incident_tasks(state)

    # The Items stored rule fires; its action says `incident: SEV-2`.
    opener = IncidentOpener(db, lambda: state.source.runbook)
    notice = Notice(NoticeKind.FIRED, 1, "Items stored", "critical", "Items stored = 612")
    incident_id = opener.open(notice, "SEV-2", clock())
    asyncio.run(tick.action())
    assert [m["To"] for m in smtp.messages] == ["Ana Ruiz <ana.ruiz@example.com>"]

    clock.advance(minutes=61)  # the countdown runs out; nobody acknowledged
    asyncio.run(tick.action())
    assert [m["To"] for m in smtp.messages][1:] == ["Sam Okafor <sam.okafor@example.com>"]

    _, token = access.create_token(db, name="sam", role=Role.OPERATOR, created_by="t", now=clock())
    with TestClient(create_app(state), base_url="http://127.0.0.1") as client:
        acked = client.post(
            f"/api/v1/incidents/{incident_id}/ack", headers={"Authorization": f"Bearer {token}"}
        )
    assert acked.json()["acknowledged_by"] == "sam"

    suggested = service.suggestions(db=db, runbook=book, incident_id=incident_id)
    assert suggested[0].issue_id == "items-missing-or-unreadable"
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
    assert event.data["attempts"][0]["command"] == "bin/tinyweb count"
    assert event.data["attempts"][0]["stdout"].strip() == "0"

    clock.advance(minutes=10)
    service.resolve(
        db=db,
        incident_id=incident_id,
        actor="sam",
        now=clock(),
        text="the count was wrong, not the data",
    )
    target = tmp_path / "postmortem.md"
    write_postmortem(
        db=db, runbook=book, incident_id=incident_id, target=target, actor="sam", now=clock()
    )
    text = target.read_text()
    assert "| Time to acknowledge | 1 h 01 min |" in text
    assert "Paging Sam Okafor" in text and "bin/tinyweb count" not in text.split("## Timeline")[0]
    assert "- Alert 1 Items stored (critical): Items stored = 612" in text
    asyncio.run(tick.action())
    assert len(smtp.messages) == 2  # acknowledged: the Operations Lead is never paged


def test_the_monitoring_cycle_opens_a_sev2_through_the_registered_hook(
    tmp_path: Path, db: Database
) -> None:
    from opsbook.monitoring.actions import AlertActions
    from opsbook.monitoring.cycle import MonitoringCycle
    from opsbook.monitoring.settings import monitoring_settings

    system = tmp_path / "tinyweb"
    shutil.copytree(EXAMPLE, system, ignore=shutil.ignore_patterns("var", ".opsbook"))
    items = system / "var" / "data" / "items"
    items.mkdir(parents=True)
    for n in range(600):  # over the Items stored critical threshold (> 500)
        (items / f"{n}.json").write_text('{"name": "x"}')
    clock = FakeClock()
    state = AppState(
        db=db,
        source=RunbookSource.load(system / "RUNBOOK.md", clock()),
        clock=clock,
        environ={"PATH": "/usr/bin:/bin"},
    )
    incident_tasks(state)  # registers the incidents domain's opener with monitoring

    async def no_wait(_: float) -> None:
        return None

    book = state.source.runbook
    cycle = MonitoringCycle(
        db, lambda: book, clock, AlertActions(db, lambda: book, clock, sleep=no_wait)
    )
    settings = monitoring_settings(book.settings)
    asyncio.run(cycle.run_once(book, settings))  # over the threshold: pending
    assert service.list_incidents(db=db).items == ()
    clock.advance(minutes=2, seconds=1)  # held for the rule's 2 minutes: firing
    asyncio.run(cycle.run_once(book, settings))
    opened = {i.severity: i for i in service.list_incidents(db=db).items}
    items_incident = opened["SEV-2"]
    assert items_incident.title.startswith("Items stored")
    assert items_incident.cause == "alert:Items stored"
    clock.advance(minutes=1)
    asyncio.run(cycle.run_once(book, settings))  # still firing: no second incident
    assert len([i for i in service.list_incidents(db=db).items if i.severity == "SEV-2"]) == 1
