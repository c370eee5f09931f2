"""Handoffs: at each one the outgoing and incoming people get one note with what is open,
as real email through a real SMTP server (aiosmtpd), once however often the worker ticks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from opsbook.incidents import service as incidents
from opsbook.oncall.handoffs import handoffs_between
from opsbook.oncall.settings import read_rotations
from opsbook.runbook.loader import load_runbook
from opsbook.store.database import Database
from opsbook.web.oncall_worker import oncall_tasks
from opsbook.web.runbook_source import RunbookSource
from opsbook.web.state import AppState
from tests.incidents.smtp import Mailbox

HANDOFF = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin


@pytest.mark.unit
def test_the_handoffs_of_a_window_are_the_changes_of_person() -> None:
    rotation = read_rotations(
        yaml.safe_load(
            """
ops:
  layers:
    - {people: [A, B], length: 1 week, start: 2026-01-05}
  overrides:
    - {who: C, from: "2026-01-07 12:00", to: "2026-01-08 12:00"}
"""
        )
    )["ops"]
    found = handoffs_between(
        rotation, datetime(2026, 1, 4, tzinfo=UTC), datetime(2026, 1, 13, tzinfo=UTC)
    )
    assert [
        (h.at.day, h.at.hour, h.outgoing and h.outgoing.name, h.incoming.name) for h in found
    ] == [
        (5, 0, None, "A"),
        (7, 12, "A", "C"),
        (8, 12, "C", "A"),
        (12, 0, "A", "B"),
    ]


@pytest.mark.process
def test_both_people_get_one_note_with_what_is_open(
    book_path: Path, database: Database, smtp: Mailbox
) -> None:
    text = book_path.read_text().replace(
        "---\noncall:",
        f"---\nnotifications:\n  email: {{host: {smtp.host}, port: {smtp.port}}}\noncall:",
        1,
    )
    book_path.write_text(text)
    clock = [HANDOFF - timedelta(hours=3)]
    book = load_runbook(book_path)
    incidents.open_incident(
        db=database,
        runbook=book,
        title="Checkout returns 500",
        severity_level="SEV-2",
        actor="t",
        now=clock[0],
    )
    smtp.messages.clear()  # the incident's own page is not what this test is about
    state = AppState(db=database, source=RunbookSource.load(book_path, clock[0]))
    state.clock = lambda: clock[0]
    (task,) = oncall_tasks(state)

    asyncio.run(task.action())
    assert smtp.messages == []  # no handoff in the last half hour
    clock[0] = HANDOFF + timedelta(minutes=1)
    asyncio.run(task.action())
    asyncio.run(task.action())  # a second tick announces nothing again
    # Primary: Ben hands over to Cy; secondary: Ana to Ben. Ben gets both notes.
    subjects = sorted((str(m["To"]), str(m["Subject"])) for m in smtp.messages)
    assert subjects == [
        (
            "Ana Ruiz <ana.ruiz@example.com>",
            "On-call handoff (secondary layer of ops): Ben Ode takes over",
        ),
        ("Ben Ode <ben@example.com>", "On-call handoff (primary layer of ops): Cy Park takes over"),
        (
            "Ben Ode <ben@example.com>",
            "On-call handoff (secondary layer of ops): Ben Ode takes over",
        ),
        ("Cy Park <cy@example.com>", "On-call handoff (primary layer of ops): Cy Park takes over"),
    ]
    body = smtp.to("cy@example.com")[0].get_payload(decode=True)
    assert isinstance(body, bytes)
    note = body.decode()
    assert (
        "At 2026-03-02 08:00 UTC Cy Park takes over the primary layer of ops from Ben Ode." in note
    )
    assert "- Incident 1 [SEV-2] detected: Checkout returns 500" in note
