"""Concurrency on real databases: ack/resolve at the same moment, two workers escalating."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from opsbook.incidents import service
from opsbook.incidents.paging import escalate_due
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database, open_database
from tests.incidents.clock import FakeClock
from tests.incidents.smtp import Mailbox


def _together(*actions: Callable[[], object]) -> list[BaseException | None]:
    """Run the actions in threads released at the same instant; return each one's error."""
    gate = threading.Barrier(len(actions))
    errors: list[BaseException | None] = [None] * len(actions)

    def go(index: int, action: Callable[[], object]) -> None:
        gate.wait()
        try:
            action()
        except BaseException as exc:
            errors[index] = exc

    threads = [threading.Thread(target=go, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _race_ack_and_resolve(db: Database, book: Runbook, rounds: int) -> None:
    clock = FakeClock()
    outcomes = set()
    for _ in range(rounds):
        opened = service.open_incident(
            db=db, runbook=book, title="race", severity_level="SEV-1", actor="ana", now=clock()
        )
        incident_id = opened.incident.id
        errors = _together(
            lambda i=incident_id: service.acknowledge(
                db=db, incident_id=i, actor="sam", now=clock()
            ),
            lambda i=incident_id: service.resolve(db=db, incident_id=i, actor="lena", now=clock()),
        )
        assert errors[1] is None  # resolving always succeeds
        data = service.show_incident(db=db, incident_id=incident_id)
        assert data.status == "resolved" and data.resolved_by == "lena"
        if errors[0] is None:  # the ack came first and was applied
            assert data.acknowledged_by == "sam"
            outcomes.add("ack first")
        else:  # the resolve came first: the ack was refused, nothing reopened
            assert isinstance(errors[0], service.Refused)
            assert data.acknowledged_at is None
            outcomes.add("resolve first")
        kinds = [e.kind for e in data.timeline]
        assert kinds.count("resolved") == 1 and kinds[-1] == "resolved"


def test_ack_and_resolve_race_never_reopens_on_sqlite(tmp_path: Path, book: Runbook) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'race.db'}")
    _race_ack_and_resolve(db, book, rounds=20)
    db.dispose()


def test_ack_and_resolve_race_never_reopens_on_postgresql(pg_url: str, book: Runbook) -> None:
    db = open_database(pg_url)
    _race_ack_and_resolve(db, book, rounds=30)
    db.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_workers_escalating_at_once_never_page_twice(
    backend: str, tmp_path: Path, book: Runbook, request: pytest.FixtureRequest
) -> None:
    url = (
        request.getfixturevalue("pg_url")
        if backend == "postgresql"
        else f"sqlite:///{tmp_path / 'workers.db'}"
    )
    first, second = open_database(url), open_database(url)
    clock = FakeClock()
    ids = [
        service.open_incident(
            db=first,
            runbook=book,
            title=f"outage {n}",
            severity_level="SEV-1",
            actor="ana",
            now=clock(),
        ).incident.id
        for n in range(25)
    ]
    clock.advance(minutes=16)
    counts = [0, 0]

    def work(index: int, db: Database) -> Callable[[], None]:
        def run() -> None:
            for _ in range(5):
                counts[index] += escalate_due(db=db, runbook=book, now=clock(), limit=7)

        return run

    assert _together(work(0, first), work(1, second)) == [None, None]
    assert sum(counts) == 25  # one backup page per incident, whichever worker queued it
    for incident_id in ids:
        pages = service.show_incident(db=first, incident_id=incident_id).pages
        assert [p.level for p in pages] == [0, 1]
    first.dispose()
    second.dispose()


def test_two_workers_delivering_at_once_send_each_page_once_on_postgresql(
    pg_url: str, book: Runbook, smtp: Mailbox
) -> None:
    from opsbook.incidents.channels import NotifyPager
    from opsbook.incidents.paging import deliver_pages
    from opsbook.notify.email import SmtpSettings
    from opsbook.notify.settings import NotifySettings

    first, second = open_database(pg_url), open_database(pg_url)
    clock = FakeClock()
    for n in range(20):
        service.open_incident(
            db=first, runbook=book, title=f"t{n}", severity_level="SEV-3", actor="a", now=clock()
        )
    pager = NotifyPager(NotifySettings(email=SmtpSettings(host=smtp.host, port=smtp.port)))
    sent = [0, 0]

    def work(index: int, db: Database) -> Callable[[], None]:
        def run() -> None:
            for _ in range(6):
                sent[index] += deliver_pages(db=db, pager=pager, now=clock(), limit=3)

        return run

    assert _together(work(0, first), work(1, second)) == [None, None]
    assert sum(sent) == 20 and len(smtp.messages) == 20
    subjects = sorted(str(m["Subject"]) for m in smtp.messages)
    assert len(set(subjects)) == 20  # no incident's page went out twice
    first.dispose()
    second.dispose()
