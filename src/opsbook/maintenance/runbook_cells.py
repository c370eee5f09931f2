"""Keep the table true: write a task's Last Completed and Next Due back into the runbook.

Through the runbook's in-place cell editor, with a Version History row for each edit. A
runbook open with unsaved changes in an editor (its lock or swap file), or one that changes
while opsbook writes it, refuses the edit (`Refused`): the person's text wins, and the
dashboard and `opsbook maintenance list` still show the stored times.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from opsbook.errors import Refused
from opsbook.maintenance.tasks import TaskSpec
from opsbook.runbook.cell_editor import set_row_cells
from opsbook.runbook.editor import EditRefused, VersionRow
from opsbook.runbook.loader import load_runbook
from opsbook.runbook.problems import RunbookError

SECTION = "Regular Maintenance Tasks"


def written_time(moment: datetime | None) -> str:
    """Write a time as the table shows it: `2026-12-02 14:05 UTC`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def record_in_runbook(
    *,
    path: Path,
    spec: TaskSpec,
    completed: datetime,
    next_due: datetime | None,
    actor: str,
    now: datetime,
) -> str:
    """Set the task's Last Completed and Next Due cells; return the new runbook version."""
    if path.is_dir():
        raise Refused(f"{path}: a folder of runbooks; its tables are not written back")
    try:  # the file as it is now, not as a server loaded it a while ago
        runbook = load_runbook(path)
    except RunbookError as exc:
        raise Refused(f"{path}: not updated: the runbook does not parse: {exc}") from None
    row = next((t for t in runbook.maintenance_tasks if t.task.strip() == spec.name), None)
    if row is None:
        raise Refused(f'the runbook has no maintenance task "{spec.name}" any more')
    values = {"Last Completed": written_time(completed), "Next Due": written_time(next_due)}
    if values == {"Last Completed": row.last_completed, "Next Due": row.next_due}:
        return ""
    try:
        edit = set_row_cells(
            path,
            section=SECTION,
            key_column="Task",
            key=spec.name,
            values=values,
            expected={"Last Completed": row.last_completed, "Next Due": row.next_due},
            row=VersionRow(
                date=now.astimezone(UTC).strftime("%Y-%m-%d"),
                author=actor,
                changes=f"{spec.name}: completed {values['Last Completed']}",
            ),
        )
    except EditRefused as exc:
        raise Refused(f"{path}: not updated: {exc}") from None
    return edit.version
