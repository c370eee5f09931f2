"""The backups a runbook's front matter declares, read and checked. Pure.

```yaml
backups:
  data:                          # the backup's name: `opsbook backup run data`
    driver: archive              # archive | restic | command
    paths: [var/data]            # archive, restic: what to back up, beside the runbook
    repository: var/backups      # where archives, the restic repository or dumps live
    keep: {last: 14, within: 30 days}   # restic also: daily, weekly, monthly
    drill: {files: 20, cover_within: 4}
    password_file: restic.pw     # restic only
    command: pg_dump -Fc -f "$OPSBOOK_BACKUP_OUTPUT" app       # command only
    restore_command: pg_restore -d scratch "$OPSBOOK_RESTORE_INPUT"  # command, optional
```

Relative paths are read from the runbook's folder. A command gets its file's path in an
environment variable, never spliced into its text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsbook.errors import BadInput
from opsbook.runbook.durations import parse_duration
from opsbook.runbook.problems import ValueProblem

DRIVERS = ("archive", "restic", "command")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_KNOWN = frozenset(
    {
        "driver",
        "paths",
        "repository",
        "keep",
        "drill",
        "password_file",
        "command",
        "restore_command",
        "level",
    }
)


@dataclass(frozen=True)
class Retention:
    """How many backups to keep: the newest `last`, and every one younger than `within_seconds`;
    for restic also the newest of each of the last `daily` days, `weekly` weeks and `monthly`
    months (restic's own keep-* rules).

    Any of them (a backup any rule keeps is kept); none keeps every backup."""

    last: int | None = None
    within_seconds: float | None = None
    daily: int | None = None
    weekly: int | None = None
    monthly: int | None = None

    @property
    def keeps_all(self) -> bool:
        return all(
            rule is None
            for rule in (self.last, self.within_seconds, self.daily, self.weekly, self.monthly)
        )


@dataclass(frozen=True)
class DrillPlan:
    """How much a restore drill restores: at least `files`, and every file within
    `cover_within` drills (the coverage ledger's promise)."""

    files: int = 20
    cover_within: int = 4


@dataclass(frozen=True)
class BackupSpec:
    """One backup the runbook declares."""

    name: str
    driver: str
    base: Path  # the runbook's folder: relative paths start here
    repository: Path
    paths: tuple[str, ...] = ()
    keep: Retention = Retention()
    drill: DrillPlan = DrillPlan()
    password_file: Path | None = None
    command: str = ""
    restore_command: str = ""
    level: int = 1  # zstd's level for the archive driver


def backup_specs(settings: Mapping[str, Any], base: Path) -> dict[str, BackupSpec]:
    """Return the backups the front matter declares under `backups:`, by name."""
    raw = settings.get("backups") or {}
    if not isinstance(raw, dict):
        raise _bad("backups", "must map a backup's name to its settings")
    return {str(name): _spec(str(name), value, base) for name, value in raw.items()}


def find_spec(specs: Mapping[str, BackupSpec], name: str) -> BackupSpec:
    """Return the backup named, or BadInput naming the ones there are."""
    spec = specs.get(name)
    if spec is None:
        known = ", ".join(sorted(specs)) or "none"
        raise BadInput(
            f'the runbook declares no backup "{name}" (it declares: {known})',
            "add it under `backups:` in the runbook's front matter",
        )
    return spec


def _spec(name: str, raw: Any, base: Path) -> BackupSpec:
    where = f"backups.{name}"
    if not _NAME.match(name):
        raise _bad(where, "a backup's name is lower-case letters, digits, - and _ (at most 63)")
    if not isinstance(raw, dict):
        raise _bad(where, "must be a mapping such as `{driver: archive, paths: [var/data]}`")
    unknown = sorted(set(map(str, raw)) - _KNOWN)
    if unknown:
        raise _bad(
            f"{where}.{unknown[0]}", f"is not a setting (known: {', '.join(sorted(_KNOWN))})"
        )
    driver = str(raw.get("driver", "archive"))
    if driver not in DRIVERS:
        raise _bad(f"{where}.driver", f'"{driver}" is not one of {", ".join(DRIVERS)}')
    paths = raw.get("paths") or []
    if isinstance(paths, str):
        paths = [paths]
    if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
        raise _bad(f"{where}.paths", "must be a list of paths")
    if driver in ("archive", "restic") and not paths:
        raise _bad(f"{where}.paths", f"the {driver} driver needs the paths to back up")
    for path in paths:
        if "\0" in path or Path(path).is_absolute() or ".." in Path(path).parts:
            raise _bad(f"{where}.paths", f'"{path}" must be a path inside the runbook\'s folder')
    command = _text(raw, "command", where)
    if driver == "command" and not command:
        raise _bad(f"{where}.command", "the command driver needs the command that writes it")
    repository = raw.get("repository") or f".opsbook/backups/{name}"
    password = raw.get("password_file")
    level = raw.get("level", 1)
    if not isinstance(level, int) or not 1 <= level <= 19:
        raise _bad(f"{where}.level", "zstd's level is a whole number from 1 to 19")
    return BackupSpec(
        name=name,
        driver=driver,
        base=base,
        repository=base / str(repository),
        paths=tuple(paths),
        keep=_retention(raw.get("keep"), where, driver),
        drill=_drill(raw.get("drill"), where),
        password_file=base / str(password) if password else None,
        command=command,
        restore_command=_text(raw, "restore_command", where),
        level=level,
    )


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key) or ""
    if not isinstance(value, str) or "\0" in value or len(value) > 4000:
        raise _bad(f"{where}.{key}", "must be one command line (text, at most 4000 characters)")
    return value


_COUNTS = ("last", "daily", "weekly", "monthly")
_BY_CALENDAR = ("daily", "weekly", "monthly")  # restic's buckets; opsbook's own rules count


def _retention(raw: Any, where: str, driver: str) -> Retention:
    if raw is None:
        return Retention()
    if not isinstance(raw, dict) or set(map(str, raw)) - {*_COUNTS, "within"}:
        raise _bad(
            f"{where}.keep",
            "write `{last: 14, within: 30 days}` (either or both; restic also takes "
            "daily, weekly and monthly: `{last: 3, daily: 7, weekly: 4, monthly: 12}`)",
        )
    counts: dict[str, int | None] = {}
    for key in _COUNTS:
        value = raw.get(key)
        if value is not None and (not isinstance(value, int) or value < 1):
            raise _bad(f"{where}.keep.{key}", "must be a whole number of backups, at least 1")
        if value is not None and key in _BY_CALENDAR and driver != "restic":
            raise _bad(
                f"{where}.keep.{key}",
                f"is restic's policy; the {driver} driver keeps by `last` and `within`",
            )
        counts[key] = value
    within = raw.get("within")
    seconds = None
    if within is not None:
        try:
            seconds = parse_duration(str(within))
        except ValueProblem as exc:
            raise _bad(f"{where}.keep.within", exc.message) from None
    return Retention(
        last=counts["last"],
        within_seconds=seconds,
        daily=counts["daily"],
        weekly=counts["weekly"],
        monthly=counts["monthly"],
    )


def _drill(raw: Any, where: str) -> DrillPlan:
    if raw is None:
        return DrillPlan()
    if not isinstance(raw, dict) or set(map(str, raw)) - {"files", "cover_within"}:
        raise _bad(f"{where}.drill", "write `{files: 20, cover_within: 4}`")
    files = raw.get("files", DrillPlan.files)
    cover = raw.get("cover_within", DrillPlan.cover_within)
    for key, value in (("files", files), ("cover_within", cover)):
        if not isinstance(value, int) or not 1 <= value <= 100_000:
            raise _bad(f"{where}.drill.{key}", "must be a whole number from 1 to 100000")
    return DrillPlan(files=files, cover_within=cover)


def _bad(field: str, problem: str) -> BadInput:
    return BadInput(f"front matter `{field}` {problem}", "see docs/backups.md")
