"""How a command reaches a machine: the Executor protocol and what it gives back.

One implementation per module: `local.py` (a child process here), `ssh.py` (asyncssh on a
host of the front matter). The engine only sees this protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from opsbook.runbook.record import Record


@dataclass(frozen=True, eq=False, repr=False)
class CommandSpec(Record):
    """A command to run: parameters and variables travel in `env`, never in `command`."""

    command: str
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    timeout: float | None = None
    # Output kept per stream; the rest is dropped from the middle with a marker.
    output_limit: int = 64 * 1024
    # Values masked in the output before it is cut (so no part of one is kept).
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False, repr=False)
class CommandResult(Record):
    """What happened: exit status (None if it never ran to an end), output, time taken."""

    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    timed_out: bool = False
    # Set when the command could not be started or the host could not be reached.
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and self.error is None


def timed_out(spec: CommandSpec, stdout: str, stderr: str, duration: float) -> CommandResult:
    """Return the result of a command stopped at its timeout, with its output so far."""
    return CommandResult(
        None,
        stdout,
        stderr,
        duration,
        timed_out=True,
        error=f"timed out after {spec.timeout:g}s; its process tree was killed",
    )


class Executor(Protocol):
    """Runs one command on one machine."""

    host: str

    async def run(self, spec: CommandSpec) -> CommandResult:
        """Run the command to completion, its timeout, or an error; never raise for those."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
