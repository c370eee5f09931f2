"""The maintenance table read as tasks: who does each, its zone, grace and targets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opsbook.errors import BadInput
from opsbook.maintenance.tasks import Kind, find_task, read_completed, task_specs
from opsbook.runbook.parser import parse_runbook

HEAD = """---
maintenance:
  timezone: America/New_York
  warning_days: 21
---
# Demo

## Standard Operating Procedures

### Reindex Procedure

**Steps**:
1. Rebuild: `echo ok`

## Maintenance Procedures

### Regular Maintenance Tasks

| Task | Frequency | Owner | Last Completed | Next Due | Run | Time Zone | Targets |
|------|-----------|-------|----------------|----------|-----|-----------|---------|
"""


def _specs(rows: str):  # type: ignore[no-untyped-def]
    return task_specs(parse_runbook(HEAD + rows, "RUNBOOK.md"))


def test_who_does_each_task() -> None:
    specs = _specs(
        "| Certificate renewal | Annual | sec | | | | | `certs/a.pem` `https://x.example/` |\n"
        "| Rotate | Daily | ops | | | builtin: log rotation | | |\n"
        "| Vacuum | 0 4 * * 0 | dba | | | `psql -c 'VACUUM'` | Europe/Berlin | |\n"
        "| Reindex Procedure | Weekly | dba | | | | | |\n"
        "| Weekly reindex | Weekly | dba | | | procedure: Reindex Procedure | | |\n"
        "| Export | Every 6 hours | ci | 2026-11-30 14:05 UTC | | manual | | |\n"
        "| Patches | As needed | sec | | | | | |\n"
    )
    assert [(s.kind, s.target) for s in specs] == [
        (Kind.BUILTIN, "certificates"),
        (Kind.BUILTIN, "log rotation"),
        (Kind.COMMAND, "psql -c 'VACUUM'"),
        (Kind.PROCEDURE, "reindex"),
        (Kind.PROCEDURE, "reindex"),
        (Kind.PERSON, ""),
        (Kind.PERSON, ""),
    ]
    assert specs[0].targets == ("certs/a.pem", "https://x.example/")
    assert specs[0].options["warning days"] == "21"
    assert [s.frequency.zone for s in specs[:3]] == [
        "America/New_York",
        "America/New_York",
        "Europe/Berlin",
    ]
    assert specs[5].last_completed == datetime(2026, 11, 30, 14, 5, tzinfo=UTC)
    assert [s.runs_itself for s in specs] == [True, True, True, True, True, False, False]


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (
            "| A | Daily | | | | builtin: backups | | |\n",
            'RUNBOOK.md:21: unknown built-in task "backups"',
        ),
        ("| A | Daily | | | | procedure: Nope | | |\n", 'RUNBOOK.md:21: no procedure named "Nope"'),
        ("| A | Daily | | | | sometimes | | |\n", 'RUNBOOK.md:21: cannot read Run "sometimes"'),
        ("| A | Daily | | | | | Mars/Base | |\n", 'RUNBOOK.md:21: unknown time zone "Mars/Base"'),
        ("| A | Daily | | | | | | |\n| a | Weekly | | | | | | |\n", 'a second task named "a"'),
    ],
)
def test_a_row_that_cannot_be_read_names_its_line(row: str, words: str) -> None:
    with pytest.raises(BadInput, match=words):
        _specs(row)


def test_a_task_is_found_by_name_key_or_a_prefix_naming_one() -> None:
    specs = _specs(
        "| Backup (nightly) | Daily | | | | | | |\n"
        "| Backup (weekly copy) | Weekly | | | | | | |\n"
        "| Log rotation | Daily | | | | | | |\n"
    )
    assert find_task(specs, "LOG ROTATION") is specs[2]
    assert find_task(specs, "log") is specs[2]
    assert find_task(specs, "backup-nightly") is specs[0]
    assert find_task(specs, "backup") is None  # two tasks start so


def test_last_completed_cells_as_people_write_them() -> None:
    assert read_completed("2026-11-30") == datetime(2026, 11, 30, tzinfo=UTC)
    assert read_completed("2026-11-30T08:15") == datetime(2026, 11, 30, 8, 15, tzinfo=UTC)
    assert read_completed("last week") is None
    assert read_completed("2026-13-45") is None
