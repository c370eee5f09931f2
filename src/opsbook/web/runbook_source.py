"""The live runbook of a server: reloaded when the file changes, last good one kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from opsbook.runbook.loader import load_runbook
from opsbook.runbook.model import Runbook
from opsbook.runbook.problems import Problem, RunbookError


@dataclass
class RunbookSource:
    """The runbook being served, and the problems of a newer file that was refused."""

    path: Path
    runbook: Runbook
    loaded_at: datetime
    mtime: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    refused_at: datetime | None = None

    @classmethod
    def load(cls, path: Path, now: datetime) -> RunbookSource:
        """Load the runbook at `path`; raise RunbookError if it cannot be served."""
        mtime = _mtime(path)
        return cls(path=path, runbook=load_runbook(path), loaded_at=now, mtime=mtime)

    def reload_if_changed(self, now: datetime) -> bool:
        """Reload when the file changed; keep the last good runbook if the new one is bad."""
        mtime = _mtime(self.path)
        if mtime == self.mtime:
            return False
        self.mtime = mtime
        try:
            runbook = load_runbook(self.path)
        except RunbookError as exc:
            self.problems = list(exc.problems)
            self.refused_at = now
            return False
        self.runbook = runbook
        self.loaded_at = now
        self.problems = []
        self.refused_at = None
        return True


def _mtime(path: Path) -> float:
    try:
        stat = path.stat()
    except OSError:
        return -1.0
    return stat.st_mtime_ns / 1e9 + stat.st_size
