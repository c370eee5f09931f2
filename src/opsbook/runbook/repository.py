"""What a folder of runbooks holds, file by file: for `opsbook check DIR` (or several files).

A team's first act is to point opsbook at the runbooks it already has. For each file this
says what was read (troubleshooting issues, procedures, the steps that would run by
themselves, the steps that wait for a person, parameters) or why the file could not be
read, so a file from which nothing runnable came is visible at once, not a quiet "valid".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from opsbook.runbook.model import Runbook, Step
from opsbook.runbook.record import Record
from opsbook.runbook.step_safety import attendances

SKIPPED_DIRS = frozenset({".git", ".opsbook", "node_modules", ".venv", "__pycache__"})
MAX_FILES = 5_000  # a folder of runbooks, not a whole disk


@dataclass(frozen=True, eq=False, repr=False)
class FileReport(Record):
    """What one file gave: its counts, or the problems that stopped it being read."""

    path: str
    problems: tuple[str, ...] = ()
    issues: int = 0
    procedures: int = 0
    unattended: int = 0  # steps that would run by themselves
    person: int = 0  # steps that wait for a person (or are a person's to do)
    parameters: int = 0
    warnings: int = 0

    @property
    def read(self) -> bool:
        """Say whether anything a person could run or follow was read from the file."""
        return bool(self.issues or self.procedures or self.unattended or self.person)


def runbook_files(root: Path) -> list[Path]:
    """Return the Markdown files under `root`, sorted, skipping tool and hidden folders."""
    found: list[Path] = []
    for path in sorted(root.rglob("*.md")):
        parts = path.relative_to(root).parts
        if any(p in SKIPPED_DIRS or p.startswith(".") for p in parts[:-1]):
            continue
        if path.is_file() and not path.is_symlink():
            found.append(path)
        if len(found) >= MAX_FILES:
            break
    return found


def report(runbook: Runbook, warnings: int = 0) -> FileReport:
    """Count what a parsed runbook holds and who its steps wait for."""
    decided = [a for steps, part in _parts(runbook) for a in attendances(steps, part)]
    person = sum(1 for a in decided if a.needs_person)
    return FileReport(
        path=runbook.path,
        issues=len(runbook.troubleshooting),
        procedures=len(runbook.procedures),
        unattended=len(decided) - person,
        person=person,
        parameters=sum(len(p.parameters) for p in runbook.procedures),
        warnings=warnings,
    )


def _parts(runbook: Runbook) -> Iterator[tuple[tuple[Step, ...], str]]:
    for proc in runbook.procedures:
        yield proc.prerequisites, "prerequisites"
        yield proc.steps, "steps"
        yield proc.validation, "validation"
        yield proc.rollback, "rollback"
    for issue in runbook.troubleshooting:
        yield issue.diagnosis, "diagnosis"
        yield issue.resolution, "resolution"
    yield runbook.disaster_recovery.steps, "steps"
