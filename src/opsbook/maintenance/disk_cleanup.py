"""Disk clean-up by a stated rule, dry run first.

A rule names files and an age: `var/tmp/*.tmp older than 7 days` (a glob, relative to the
runbook's folder or absolute; `**` reaches into subfolders). Only regular files match:
never a directory, never through a symbolic link, never the root of a file system. A rule
deletes nothing until someone has looked at what it would delete: until a dry run of the
same rule is on record (`opsbook maintenance run TASK --dry-run`), a run is a dry run.
"""

from __future__ import annotations

import glob
import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from opsbook.maintenance.tasks import TaskSpec
from opsbook.maintenance.views import Outcome
from opsbook.runbook.durations import parse_duration
from opsbook.runbook.problems import ValueProblem

RULE_HINT = "write it as GLOB older than AGE, such as `var/tmp/*.tmp older than 7 days`"
DRY_RUN = "dry run of rule"
_RULE = re.compile(r"^\s*`?(?P<glob>[^`]+?)`?\s+older\s+than\s+(?P<age>.+?)\s*$", re.IGNORECASE)
MAX_LISTED = 20


@dataclass(frozen=True)
class CleanupRule:
    """Which files go: those matching `pattern` not modified for `older_than` seconds."""

    text: str
    pattern: str
    older_than: float


def parse_rule(text: str) -> CleanupRule:
    """Read a clean-up rule; ValueError saying how to write one."""
    match = _RULE.match(text)
    if match is None:
        raise ValueError(f'cannot read the clean-up rule "{text}"; {RULE_HINT}')
    try:
        age = parse_duration(match.group("age"))
    except ValueProblem as exc:
        raise ValueError(f'clean-up rule "{text}": {exc}') from None
    if age <= 0:
        raise ValueError(f'clean-up rule "{text}": the age must be more than nothing')
    return CleanupRule(text.strip(), match.group("glob").strip(), age)


def rule_of(spec: TaskSpec, settings: dict[str, Any]) -> CleanupRule:
    """Return the task's rule: its `Rule` column, else front matter `maintenance.cleanup`."""
    section = settings.get("maintenance") or {}
    text = spec.options.get("rule") or (section.get("cleanup") if isinstance(section, dict) else "")
    if not text:
        raise ValueError(f"no clean-up rule: add a Rule column to the row; {RULE_HINT}")
    return parse_rule(str(text))


def candidates(rule: CleanupRule, folder: Path, now: float) -> list[tuple[Path, int]]:
    """Return the files the rule would delete now, with their sizes, oldest first."""
    written = Path(os.path.expanduser(rule.pattern))
    full = written if written.is_absolute() else folder / written
    base = Path(*[p for p in full.parts[: _first_magic(full.parts)]])
    if base == Path(base.anchor) or not base.is_dir():
        raise ValueError(f'clean-up rule "{rule.text}": {base} is not a folder it may clean')
    found: list[tuple[float, Path, int]] = []
    for name in glob.iglob(str(full), recursive=True):
        path = Path(name)
        info = path.lstat()  # a symbolic link is never followed, nor deleted through
        if not stat.S_ISREG(info.st_mode) or now - info.st_mtime < rule.older_than:
            continue
        if any(p.is_symlink() for p in path.parents if base in p.parents or p == base):
            continue
        found.append((info.st_mtime, path, info.st_size))
    return [(path, size) for _, path, size in sorted(found)]


def _first_magic(parts: tuple[str, ...]) -> int:
    return next((i for i, part in enumerate(parts) if glob.has_magic(part)), len(parts) - 1)


def cleanup(rule: CleanupRule, folder: Path, now: datetime, *, dry_run: bool) -> Outcome:
    """Delete (or, in a dry run, list) the files the rule names."""
    try:
        files = candidates(rule, folder, now.timestamp())
    except (ValueError, OSError) as exc:
        return Outcome(False, None, str(exc))
    total = sum(size for _, size in files)
    listed = [f"  {path} ({size} bytes)" for path, size in files[:MAX_LISTED]]
    if len(files) > MAX_LISTED:
        listed.append(f"  ... and {len(files) - MAX_LISTED} more")
    if dry_run:
        head = f"{DRY_RUN} {rule.text}: would delete {len(files)} file(s), {total} bytes"
        return Outcome(True, None, "\n".join([head, *listed]), dry_run=True)
    gone, problems = 0, []
    for path, _ in files:
        try:
            path.unlink()
            gone += 1
        except OSError as exc:
            problems.append(f"  cannot delete {path}: {exc.strerror or exc}")
    head = f"rule {rule.text}: deleted {gone} file(s), {total} bytes"
    return Outcome(not problems, None, "\n".join([head, *listed, *problems]))


def cleanup_task(
    spec: TaskSpec,
    settings: dict[str, Any],
    folder: Path,
    now: datetime,
    dry_run: bool,
    dry_runs: tuple[str, ...],
) -> Outcome:
    """Run the task's rule: a dry run when asked, or when none of this rule is on record."""
    try:
        rule = rule_of(spec, settings)
    except ValueError as exc:
        return Outcome(False, None, str(exc))
    if dry_run or any(d.startswith(f"{DRY_RUN} {rule.text}:") for d in dry_runs):
        return cleanup(rule, folder, now, dry_run=dry_run)
    first = cleanup(rule, folder, now, dry_run=True)
    note = "nothing deleted: this rule had no dry run on record; the next run deletes"
    return Outcome(first.ok, None, f"{first.detail}\n{note}", dry_run=True)
