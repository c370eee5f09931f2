"""Which files the Configuration Files table names, and where: this machine or a host.

A row's Location is the file's path (its File cell when the Location is empty, or a folder
the File is in). A Location written `web1:/etc/app.conf` names a host (or a group, or
`all`) of the front matter: the file is read there, over SSH. A relative local path is
taken from the runbook's folder, as the runbook's commands are run from it.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

from opsbook.errors import BadInput
from opsbook.runbook.model import ConfigFile, Runbook

LOCAL = "local"


@dataclass(frozen=True)
class ConfigTarget:
    """One file to watch: the row it comes from, the host it is on, its path there."""

    key: str
    file: str
    host: str  # LOCAL, or a host of the front matter
    path: str
    line: int = 0

    @property
    def local(self) -> bool:
        """Say whether the file is on this machine."""
        return self.host == LOCAL


def config_targets(runbook: Runbook) -> list[ConfigTarget]:
    """Return each file of the Configuration Files table, once per host it is on."""
    base = Path(runbook.path).resolve().parent
    out: list[ConfigTarget] = []
    seen: set[str] = set()
    for row in runbook.config_files:
        hosts, where = _split(runbook, row)
        for host in hosts:
            path = where
            if host == LOCAL and not posixpath.isabs(path):
                path = str(base / path)
            key = f"{host}:{path}"
            if key not in seen:
                seen.add(key)
                out.append(ConfigTarget(key, row.file, host, path, row.line))
    return out


def find_targets(targets: list[ConfigTarget], names: tuple[str, ...]) -> list[ConfigTarget]:
    """Return the targets a person named (by file, path or key); all when none is named."""
    if not names:
        return targets
    chosen = [t for t in targets if {t.file, t.path, t.key} & set(names)]
    known = {n for t in targets for n in (t.file, t.path, t.key)}
    missing = [n for n in names if n not in known]
    if missing:
        files = ", ".join(t.file for t in targets) or "none"
        raise BadInput(f'no configuration file "{missing[0]}" in the runbook (files: {files})')
    return chosen


def _split(runbook: Runbook, row: ConfigFile) -> tuple[tuple[str, ...], str]:
    where = (row.location or row.file).strip()
    if not where:
        raise BadInput(f"{runbook.path}:{row.line}: configuration file row has no location")
    head, sep, rest = where.partition(":")
    if sep and rest and "/" not in head:
        if head == "all":
            return tuple(runbook.hosts), rest
        if head in runbook.groups:
            return tuple(runbook.groups[head]), rest
        if head in runbook.hosts:
            return (head,), rest
        if head not in (LOCAL, "localhost"):
            raise BadInput(
                f'{runbook.path}:{row.line}: configuration file "{row.file}": "{head}" is not '
                "a host or group of the front matter"
            )
        return (LOCAL,), rest
    if row.location and row.file and where.endswith("/"):
        where = where + row.file
    return (LOCAL,), where
