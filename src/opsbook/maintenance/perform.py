"""Do a task's work: a command of the runbook, or a built-in. The I/O edge of the domain.

A command runs as the runbook's steps do, under bash (sh without it), in the runbook's
folder, with a time limit; its exit status says how it ended. A built-in gets its targets
from the row (`Targets`), else from the front matter or the runbook (Log Locations).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from opsbook.maintenance.tasks import Kind, TaskSpec
from opsbook.maintenance.views import Outcome

COMMAND_TIMEOUT = 3600.0
_TAIL = 2000


def folder_of(runbook_path: str) -> Path:
    """Return where a runbook's tasks run: its folder (a served folder of runbooks: itself)."""
    path = Path(runbook_path).resolve()
    return path if path.is_dir() else path.parent


@dataclass(frozen=True)
class LocalPerformer:
    """Runs tasks on this machine, for the runbook in `folder`."""

    folder: Path
    settings: dict[str, Any] = field(default_factory=dict)
    log_locations: tuple[str, ...] = ()
    timeout: float = COMMAND_TIMEOUT

    def perform(
        self,
        spec: TaskSpec,
        now: datetime,
        *,
        dry_run: bool = False,
        dry_runs: tuple[str, ...] = (),
    ) -> Outcome:
        """Do the task's work and say how it ended (`dry_run`: say what it would do)."""
        if spec.kind is Kind.COMMAND:
            if dry_run:
                return Outcome(True, None, f"dry run: would run `{spec.target}`")
            return self._command(spec.target)
        if spec.kind is Kind.BUILTIN:
            return self._builtin(spec, now, dry_run, dry_runs)
        if spec.kind is Kind.PROCEDURE:
            return Outcome(
                False,
                None,
                f"a procedure: the server runs it when due; by hand: opsbook run {spec.target}",
            )
        return Outcome(False, None, "a person does this task: mark it done when it is")

    def _command(self, command: str) -> Outcome:
        shell = shutil.which("bash") or "/bin/sh"
        try:
            done = subprocess.run(
                [shell, "-c", command],
                cwd=self.folder,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return Outcome(False, None, f"timed out after {self.timeout:g}s")
        output = (done.stdout + done.stderr).strip()
        return Outcome(done.returncode == 0, done.returncode, output[-_TAIL:])

    def _builtin(
        self, spec: TaskSpec, now: datetime, dry_run: bool, dry_runs: tuple[str, ...]
    ) -> Outcome:
        # lazy: each built-in loads only what it needs (cryptography, gzip)
        if spec.target == "certificates":
            from opsbook.maintenance.certificate_task import check_certificates

            return check_certificates(spec, self.settings, self.folder, now)
        if spec.target == "log rotation":
            from opsbook.maintenance.log_rotation import rotate_task

            if dry_run:
                return Outcome(True, None, "dry run: would rotate the logs that are due")
            return rotate_task(spec, self.settings, self.log_locations, self.folder, now)
        if spec.target == "disk cleanup":
            from opsbook.maintenance.disk_cleanup import cleanup_task

            return cleanup_task(spec, self.settings, self.folder, now, dry_run, dry_runs)
        return Outcome(False, None, f"unknown built-in {spec.target!r}")
