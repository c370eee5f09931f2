"""The live runbook of a server: reloaded when the file changes, last good one kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from opsbook.runbook.loader import load_folder, load_runbook
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
    # Files of a served folder that could not be read, left out of the runbook served.
    skipped: list[Problem] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path, now: datetime) -> RunbookSource:
        """Load the runbook (or folder of runbooks) at `path`; RunbookError if it is bad."""
        mtime = _mtime(path)
        runbook, skipped = _load(path)
        return cls(path=path, runbook=runbook, loaded_at=now, mtime=mtime, skipped=skipped)

    def reload_if_changed(self, now: datetime) -> bool:
        """Reload when the file changed; keep the last good runbook if the new one is bad."""
        mtime = _mtime(self.path)
        if mtime == self.mtime:
            return False
        self.mtime = mtime
        try:
            runbook, skipped = _load(self.path)
        except RunbookError as exc:
            self.problems = list(exc.problems)
            self.refused_at = now
            return False
        self.runbook, self.skipped = runbook, skipped
        self.loaded_at = now
        self.problems = []
        self.refused_at = None
        return True


def _load(path: Path) -> tuple[Runbook, list[Problem]]:
    return load_folder(path) if path.is_dir() else (load_runbook(path), [])


def _mtime(path: Path) -> float:
    """Return a figure that changes when the file (or any runbook in the folder) does."""
    if path.is_dir():
        # lazy: only a served folder is walked
        from opsbook.runbook.repository import runbook_files

        files = runbook_files(path)
        return sum(_mtime(f) for f in files) + len(files)
    try:
        stat = path.stat()
    except OSError:
        return -1.0
    return stat.st_mtime_ns / 1e9 + stat.st_size
