"""Steps with `host=`: one SSH executor per host, reused for the whole run, fanned out.

`ssh.py` and `fanout.py` are imported on first use, so a run that never leaves this
machine never loads asyncssh.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from opsbook.procedures.executors.protocol import CommandResult, CommandSpec, Executor
from opsbook.runbook.model import Runbook


class SshHosts:
    """Runs a command on named hosts of the runbook's front matter over SSH."""

    def __init__(self, runbook: Runbook) -> None:
        self.runbook = runbook
        self.executors: dict[str, Executor] = {}

    def _ssh_settings(self) -> Mapping[str, Any]:
        settings = self.runbook.settings.get("ssh")
        return settings if isinstance(settings, Mapping) else {}

    def executor(self, name: str) -> Executor:
        """Return the (cached) executor for a host name."""
        if name not in self.executors:
            ssh_executor = importlib.import_module("opsbook.procedures.executors.ssh").SshExecutor
            ssh = self._ssh_settings()
            known_hosts = ssh.get("known_hosts")
            keys = ssh.get("client_keys") or ssh.get("identity_files")
            self.executors[name] = ssh_executor(
                self.runbook.hosts[name],
                known_hosts=str(known_hosts) if known_hosts else None,
                client_keys=[str(k) for k in keys] if isinstance(keys, list) else None,
            )
        return self.executors[name]

    async def run(
        self,
        hosts: Sequence[str],
        spec: CommandSpec,
        limit: int,
        on_result: Callable[[str, CommandResult], None] | None = None,
    ) -> dict[str, CommandResult]:
        """Run on every host, at most `limit` at once; per-host results.

        `on_result` is told of each host's result as soon as it comes.
        """
        fanout = importlib.import_module("opsbook.procedures.executors.fanout")
        executors = [self.executor(name) for name in hosts]
        results: dict[str, CommandResult] = await fanout.run_on_hosts(
            executors, spec, limit=limit, on_result=on_result
        )
        return results

    async def close(self) -> None:
        """Close every connection opened during the run."""
        for executor in self.executors.values():
            await executor.close()
        self.executors.clear()
