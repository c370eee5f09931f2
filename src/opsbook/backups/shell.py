"""Running one command line of the runbook with bash, bounded in time: the I/O edge of DR
drills. The command's text is the runbook's own; values reach it as environment variables."""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

_KEPT = 4000  # characters of output kept with a step


@dataclass(frozen=True)
class Ran:
    """How a command ended: its exit status (None: it ran out of time) and its output's tail."""

    code: int | None
    output: str

    @property
    def ok(self) -> bool:
        return self.code == 0


class CommandRunner(Protocol):
    """Runs a command line in a folder with extra environment variables."""

    def run(self, command: str, *, cwd: Path, env: dict[str, str], timeout: float) -> Ran:
        """Run the command; never raise for its failure."""
        ...


class BashRunner:
    """Runs each command in a new bash, in its own process group, killed whole on timeout."""

    def run(self, command: str, *, cwd: Path, env: dict[str, str], timeout: float) -> Ran:
        """Run the command with bash; kill its process group if it outlives the timeout."""
        try:
            process = subprocess.Popen(
                ["bash", "-c", command],
                cwd=cwd,
                env={**os.environ, **env},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            return Ran(127, f"cannot run bash: {exc}")
        try:
            out, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, _ = process.communicate()
            return Ran(None, _tail(out) + f"\n(killed after {timeout:g}s)")
        return Ran(process.returncode, _tail(out))


def _tail(data: bytes) -> str:
    text = data.decode(errors="replace").strip()
    return text[-_KEPT:]
