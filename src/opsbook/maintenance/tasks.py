"""The runbook's Regular Maintenance Tasks as schedulable tasks. Pure.

A row says what the task is, how often, by whom; optional columns say more:
- `Grace` (`2h`, `1 day`): how late is overdue (default: front matter `maintenance.grace`,
  else one hour);
- `Time Zone` (`Europe/Berlin`; default: front matter `maintenance.timezone`, else UTC);
- `Run`: `builtin: certificates` (or `log rotation`, `disk cleanup`), a command in a code
  span, `procedure: NAME`, or `manual` (a person marks it done, or a ping reports it).
  Without it: a built-in task whose name it has, else a person's task;
- `Targets`: what a built-in works on (certificate files and https URLs; log files);
  `Warning Days` / `Critical Days` for certificates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from opsbook.errors import BadInput
from opsbook.maintenance.frequency import Frequency, parse_frequency
from opsbook.runbook.durations import parse_duration
from opsbook.runbook.model import MaintenanceTask, Runbook
from opsbook.runbook.problems import ValueProblem

DEFAULT_GRACE = 3600.0
_CODE = re.compile(r"^\s*(`+)\s?(.*?)\s?\1\s*$")
_BUILTINS = {
    "certificates": ("certificate", "certificates", "tls", "ssl"),
    "log rotation": ("log rotation", "rotate logs", "logrotate"),
    "disk cleanup": ("disk cleanup", "disk clean-up", "clean up disk", "cleanup"),
}


class Kind(StrEnum):
    """Who does the task: opsbook (a built-in or a command) or a person / a ping."""

    BUILTIN = "builtin"
    COMMAND = "command"
    PROCEDURE = "procedure"
    PERSON = "person"


@dataclass(frozen=True)
class TaskSpec:
    """One maintenance task, read from its row and the front matter."""

    key: str
    name: str
    frequency: Frequency
    grace_seconds: float
    owner: str = ""
    kind: Kind = Kind.PERSON
    target: str = ""  # the built-in's name, the command, or the procedure
    targets: tuple[str, ...] = ()
    options: dict[str, str] = field(default_factory=dict)
    last_completed: datetime | None = None
    line: int = 0

    @property
    def runs_itself(self) -> bool:
        """Say whether opsbook runs it when due (a person's task waits for a person)."""
        return self.kind is not Kind.PERSON and not self.frequency.as_needed


def task_key(name: str) -> str:
    """Return the task's key: its name in lower case, words joined by hyphens."""
    return "-".join(re.findall(r"[a-z0-9]+", name.lower()))[:200] or "task"


def task_specs(runbook: Runbook) -> list[TaskSpec]:
    """Read every row of the maintenance table; a bad value raises BadInput naming its line."""
    settings = runbook.settings.get("maintenance") or {}
    if not isinstance(settings, dict):
        raise BadInput(f"{runbook.path}: front matter `maintenance` must be a mapping")
    zone = str(settings.get("timezone") or settings.get("time_zone") or "UTC")
    grace = _seconds(settings.get("grace"), f"{runbook.path}: front matter maintenance.grace")
    specs: list[TaskSpec] = []
    seen: set[str] = set()
    for row in runbook.maintenance_tasks:
        if not row.task.strip():
            continue
        spec = _spec(runbook, row, zone, DEFAULT_GRACE if grace is None else grace, settings)
        if spec.key in seen:
            raise BadInput(f'{runbook.path}:{row.line}: a second task named "{row.task}"')
        seen.add(spec.key)
        specs.append(spec)
    return specs


def find_task(specs: list[TaskSpec], name: str) -> TaskSpec | None:
    """Find a task by key or name, ignoring case."""
    key = task_key(name)
    exact = next((s for s in specs if s.key == key), None)
    if exact is not None:
        return exact
    # `backup` for "Backup (Backup Procedure)": a prefix that names one task only
    starting = [s for s in specs if s.key.startswith(key + "-")]
    return starting[0] if len(starting) == 1 else None


def _spec(
    runbook: Runbook, row: MaintenanceTask, zone: str, grace: float, settings: dict[str, Any]
) -> TaskSpec:
    where = f"{runbook.path}:{row.line}"
    extra = {k.lower(): v.strip() for k, v in row.extra}
    zone = _column(extra, "time zone", "timezone", "zone") or zone
    text = row.frequency.text if row.frequency else "As needed"
    try:
        frequency = parse_frequency(text, zone=zone)
    except BadInput as exc:
        raise BadInput(f"{where}: {exc.message}", exc.hint) from None
    own_grace = _seconds(_column(extra, "grace", "grace period"), f"{where}: grace")
    kind, target = _kind(
        runbook, row.task, _column(extra, "run", "command", "action", "procedure"), where
    )
    written = _column(extra, "targets", "target", "paths", "urls")
    targets = tuple(t for t in re.split(r"[,\s]+", _plain(written)) if t)
    options = {
        k: _plain(v)
        for k, v in extra.items()
        if k in ("warning days", "critical days", "max size", "max age", "keep", "rule", "reopen")
    }
    for name in ("warning_days", "critical_days"):
        if name in settings and name.replace("_", " ") not in options:
            options[name.replace("_", " ")] = str(settings[name])
    for name in ("warning days", "critical days"):
        if not re.fullmatch(r"\d+(\.\d+)?", options.get(name, "0")):
            raise BadInput(f'{where}: {name} "{options[name]}" is not a number of days')
    return TaskSpec(
        key=task_key(row.task),
        name=row.task.strip(),
        frequency=frequency,
        grace_seconds=grace if own_grace is None else own_grace,
        owner=row.owner,
        kind=kind,
        target=target,
        targets=targets,
        options=options,
        last_completed=read_completed(row.last_completed),
        line=row.line,
    )


def _kind(runbook: Runbook, name: str, run: str, where: str) -> tuple[Kind, str]:
    code = _CODE.match(run)
    if code:
        return Kind.COMMAND, code.group(2)
    low = run.lower().strip()
    if low.startswith("builtin:") or low.startswith("built-in:"):
        which = low.split(":", 1)[1].strip()
        builtin = _builtin(which)
        if builtin is None:
            known = ", ".join(_BUILTINS)
            raise BadInput(f'{where}: unknown built-in task "{which}"', f"known: {known}")
        return Kind.BUILTIN, builtin
    if low.startswith("procedure:"):
        wanted = run.split(":", 1)[1].strip()
        procedure = runbook.procedure(wanted)
        if procedure is None:
            raise BadInput(f'{where}: no procedure named "{wanted}" in the runbook')
        return Kind.PROCEDURE, procedure.id
    if low in ("manual", "person", "heartbeat", "ping"):
        return Kind.PERSON, ""
    if low:
        raise BadInput(
            f'{where}: cannot read Run "{run}"',
            "write builtin: certificates, procedure: NAME, manual, or a command in backticks",
        )
    builtin = _builtin(name.lower())
    if builtin is not None:
        return Kind.BUILTIN, builtin
    procedure = runbook.procedure(name)
    if procedure is not None:
        return Kind.PROCEDURE, procedure.id
    return Kind.PERSON, ""


def _builtin(text: str) -> str | None:
    for builtin, words in _BUILTINS.items():
        if any(word in text for word in words):
            return builtin
    return None


def _column(extra: dict[str, str], *names: str) -> str:
    return next((extra[n] for n in names if extra.get(n)), "")


def _plain(text: str) -> str:
    return " ".join(text.replace("`", " ").split())


def _seconds(value: object, where: str) -> float | None:
    if value is None or str(value).strip() in ("", "-"):
        return None
    try:
        return parse_duration(str(value))
    except ValueProblem as exc:
        raise BadInput(f"{where}: {exc}") from None


def read_completed(text: str) -> datetime | None:
    """Read a Last Completed cell (`2026-11-30`, `2026-11-30 14:05 UTC`); else None."""
    match = re.search(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2}))?", text)
    if match is None:
        return None
    try:
        day = datetime.fromisoformat(match.group(1))
    except ValueError:
        return None
    if match.group(2):
        day = day.replace(hour=int(match.group(2)), minute=int(match.group(3)))
    return day.replace(tzinfo=UTC)
