"""cmd: a command of the runbook that prints a number, run with a timeout.

The command is the runbook's own text, run as a step would be (the runbook's directory as
its working directory, its process tree killed on timeout); nothing else is spliced in.
"""

from __future__ import annotations

from opsbook.monitoring.sources.base import DEFAULT_TIMEOUT, PRIMARY, Reading, SourceError
from opsbook.procedures.executors.local import LocalExecutor
from opsbook.procedures.executors.protocol import CommandSpec


class CommandSource:
    """A command whose output is the metric's value."""

    def __init__(self, metric: str, command: str, cwd: str, timeout: float | None = None) -> None:
        if not command.strip():
            raise SourceError("cmd source has no command; write it like `cmd:df --output=pcent /`")
        self.metric, self.command, self.cwd = metric, command, cwd
        self.timeout = timeout or DEFAULT_TIMEOUT

    async def read(self) -> Reading:
        """Run the command and read the number it prints."""
        spec = CommandSpec(self.command, cwd=self.cwd, timeout=self.timeout, output_limit=4096)
        result = await LocalExecutor().run(spec)
        if result.error is not None or result.timed_out:
            return Reading(self.metric, error=result.error or f"timed out after {self.timeout:g}s")
        if result.exit_code != 0:
            detail = result.stderr.strip().splitlines()[-1:] or [""]
            return Reading(self.metric, error=f"exited with status {result.exit_code} {detail[0]}")
        return self._parse(result.stdout)

    def _parse(self, stdout: str) -> Reading:
        lines = [line.strip() for line in stdout.splitlines() if line.strip()]
        token = lines[-1].split()[0].rstrip("%") if lines else ""
        try:
            return Reading(self.metric, {PRIMARY: float(token)})
        except ValueError:
            shown = (lines[-1] if lines else "nothing")[:80]
            return Reading(self.metric, error=f'printed "{shown}", not a number')
