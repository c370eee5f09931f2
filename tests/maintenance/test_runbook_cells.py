"""Keeping the table true: Last Completed / Next Due written in place, a Version History row,
and a refusal when a person has the runbook open with unsaved changes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsbook.errors import Refused
from opsbook.maintenance.runbook_cells import record_in_runbook
from opsbook.maintenance.tasks import task_specs
from opsbook.runbook.loader import load_runbook

TEXT = """# Demo

Prose  with  odd   spacing stays.

## Maintenance Procedures

### Regular Maintenance Tasks

| Task | Frequency | Owner | Last Completed | Next Due |
|------|-----------|-------|----------------|----------|
| Dependency updates | Monthly on the 1st | ana | | |
| Log rotation | Daily | | 2026-11-30 | |

## Version History

| Version | Date | Author | Changes |
|---------|------|--------|---------|
| 1.4 | 2026-11-01 | ana | First |
"""
NOW = datetime(2026, 12, 2, 14, 5, tzinfo=UTC)


def _write(tmp_path: Path, text: str = TEXT, newline: str = "\n") -> Path:
    path = tmp_path / "RUNBOOK.md"
    path.write_bytes(text.replace("\n", newline).encode())
    return path


def _record(path: Path) -> str:
    book = load_runbook(path)
    spec = next(s for s in task_specs(book) if s.name == "Log rotation")
    return record_in_runbook(
        path=path,
        spec=spec,
        completed=NOW,
        next_due=datetime(2026, 12, 3, tzinfo=UTC),
        actor="opsbook",
        now=NOW,
    )


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_cells_and_a_version_row_change_nothing_else(tmp_path: Path, newline: str) -> None:
    path = _write(tmp_path, newline=newline)
    assert _record(path) == "1.5"
    before = TEXT.replace("\n", newline).split(newline)
    after = path.read_bytes().decode().split(newline)
    changed = [(a, b) for a, b in zip(before[:-1], after, strict=False) if a != b]
    assert changed == [
        (
            "| Log rotation | Daily | | 2026-11-30 | |",
            "| Log rotation | Daily | | 2026-12-02 14:05 UTC | 2026-12-03 00:00 UTC |",
        )
    ]
    assert (
        after[len(before) - 1]
        == "| 1.5 | 2026-12-02 | opsbook | Log rotation: completed 2026-12-02 14:05 UTC |"
    )
    row = next(t for t in load_runbook(path).maintenance_tasks if t.task == "Log rotation")
    assert (row.last_completed, row.next_due) == ("2026-12-02 14:05 UTC", "2026-12-03 00:00 UTC")


def test_the_same_cells_again_make_no_edit(tmp_path: Path) -> None:
    path = _write(tmp_path)
    _record(path)
    kept = path.read_bytes()
    assert _record(path) == ""
    assert path.read_bytes() == kept


@pytest.mark.parametrize("lock", [".#RUNBOOK.md", ".RUNBOOK.md.swp"])
def test_an_unsaved_change_in_an_editor_refuses_the_edit(tmp_path: Path, lock: str) -> None:
    path = _write(tmp_path)
    (tmp_path / lock).write_text("ana@host.1234")
    with pytest.raises(Refused, match="unsaved changes"):
        _record(path)
    assert path.read_text() == TEXT


def test_a_task_removed_from_the_table_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path)
    book = load_runbook(path)
    spec = next(s for s in task_specs(book) if s.name == "Log rotation")
    path.write_text(TEXT.replace("| Log rotation | Daily | | 2026-11-30 | |\n", ""))
    with pytest.raises(Refused, match="no maintenance task"):
        record_in_runbook(path=path, spec=spec, completed=NOW, next_due=None, actor="x", now=NOW)
