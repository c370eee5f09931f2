"""Severity deadlines and the escalation order, driven by a fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.incidents.escalation import due, next_due, person, policy
from opsbook.incidents.severity import UnknownSeverity, normalise, severity
from opsbook.runbook.loader import load_runbook
from opsbook.runbook.model import Runbook
from tests.incidents.clock import FakeClock

EXAMPLE = Path(__file__).parents[2] / "examples" / "tinyweb" / "RUNBOOK.md"


@pytest.fixture(scope="module")
def book() -> Runbook:
    return load_runbook(EXAMPLE)


def test_severity_comes_from_the_runbook_table_and_sets_respond_by(book: Runbook) -> None:
    clock = FakeClock()
    sev2 = severity(book, "sev2")
    assert sev2.level == "SEV-2" and sev2.response_seconds == 3600
    assert (sev2.respond_by(clock()) - clock()).total_seconds() == 3600
    assert severity(book, "SEV-1").respond_by(clock()) < sev2.respond_by(clock())


def test_unknown_severity_lists_the_known_levels(book: Runbook) -> None:
    with pytest.raises(UnknownSeverity, match=r"SEV-9.*SEV-1, SEV-2, SEV-3, SEV-4"):
        severity(book, "SEV-9")


def test_severity_names_are_normalised() -> None:
    assert normalise(" sev 3") == "SEV-3" and normalise("1") == "SEV-1"


def test_a_runbook_without_a_table_gets_the_template_levels() -> None:
    assert severity(Runbook(), "SEV-1").response_seconds == 900


def test_person_splits_name_and_address() -> None:
    assert person("Sam Okafor (sam.okafor@example.com)") == ("Sam Okafor", "sam.okafor@example.com")
    assert person("ana@example.com") == ("ana@example.com", "ana@example.com")
    assert person("Lena Vogel") == ("Lena Vogel", "")


def test_escalation_pages_primary_then_backup_then_operations_lead(book: Runbook) -> None:
    clock = FakeClock()
    opened = clock()
    levels = policy(book, window_seconds=3600, security=False)
    assert [[r.name for r in lvl.recipients] for lvl in levels] == [
        ["Ana Ruiz"],
        ["Sam Okafor"],
        ["Lena Vogel"],
    ]
    assert [r.address for r in levels[1].recipients] == ["sam.okafor@example.com"]

    assert [lvl.number for lvl in due(levels, opened_at=opened, done=0, now=clock())] == [0]
    clock.advance(minutes=59, seconds=59)
    assert due(levels, opened_at=opened, done=1, now=clock()) == []
    assert next_due(levels, opened_at=opened, done=1) == opened.replace(hour=4)
    clock.advance(seconds=1)  # respond-by reached: the backup
    assert [lvl.number for lvl in due(levels, opened_at=opened, done=1, now=clock())] == [1]
    clock.advance(hours=1)  # one more window: the Operations Lead
    assert [lvl.number for lvl in due(levels, opened_at=opened, done=2, now=clock())] == [2]
    assert next_due(levels, opened_at=opened, done=3) is None


def test_levels_overdue_together_are_all_due_in_order(book: Runbook) -> None:
    clock = FakeClock()
    opened = clock()
    levels = policy(book, window_seconds=900, security=False)
    clock.advance(hours=3)  # the server was down the whole time
    assert [lvl.number for lvl in due(levels, opened_at=opened, done=1, now=clock())] == [1, 2]


def test_security_incident_pages_the_security_lead_and_their_backup(book: Runbook) -> None:
    levels = policy(book, window_seconds=900, security=True)
    assert [r.role for r in levels[0].recipients] == ["Primary Owner", "Security Lead"]
    assert [r.name for r in levels[1].recipients] == ["Sam Okafor", "Tom Becker"]


def test_a_runbook_without_contacts_has_no_one_to_page() -> None:
    assert policy(Runbook(), window_seconds=900, security=True) == ()
