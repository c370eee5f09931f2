"""A folder of runbooks served as one: every file's issues and procedures, each naming its file.

`opsbook serve DIR` serves a team's runbook repository (one Markdown file per alert, manual
pages, a service runbook): the served runbook is the files' parts put together. Ids stay
those of the files; one that two files share is made unique with the file's path
(`disk-full` and `db/disk-full`...). The first file that has a runbook-level part (system
information, contacts, metrics, thresholds) gives it. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import PurePosixPath

from opsbook.runbook.ids import slug
from opsbook.runbook.model import Procedure, Runbook, TroubleshootingIssue


def combine(folder: str, runbooks: Sequence[tuple[str, Runbook]]) -> Runbook:
    """Return one runbook of every file's parts; `runbooks` pairs each file's relative path."""
    issues: list[TroubleshootingIssue] = []
    procedures: list[Procedure] = []
    taken_issues: set[str] = set()
    taken_procedures: set[str] = set()
    for relative, runbook in runbooks:
        for issue in runbook.troubleshooting:
            unique = _unique(issue.id, relative, taken_issues)
            issues.append(replace(issue, id=unique, source=relative))
        for proc in runbook.procedures:
            procedures.append(replace(proc, id=_unique(proc.id, relative, taken_procedures)))
    base = next((rb for _, rb in runbooks if _has_runbook_parts(rb)), None)
    return replace(
        base if base is not None else Runbook(),
        path=folder,
        title=PurePosixPath(folder).name or folder,
        troubleshooting=tuple(issues),
        procedures=tuple(procedures),
    )


def _unique(wanted: str, relative: str, taken: set[str]) -> str:
    candidate = wanted
    if candidate in taken:
        candidate = f"{slug(str(PurePosixPath(relative).with_suffix('')))}-{wanted}"
    number = 2
    while candidate in taken:
        candidate, number = f"{wanted}-{number}", number + 1
    taken.add(candidate)
    return candidate


def _has_runbook_parts(runbook: Runbook) -> bool:
    return bool(
        runbook.system.name
        or runbook.contacts
        or runbook.metrics
        or runbook.alert_rules
        or runbook.severity_levels
    )
