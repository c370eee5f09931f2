"""Steps with `host=`: one SSH session per host, kept for the whole run, fanned out.

A host the run gives one command, once, gets a shell for that command instead: there is
nothing for a session to carry over, and a session's extra remote programs (the request
copier, its files, their removal) made a one-step run on 200 hosts ~30% slower.

`ssh.py` and `fanout.py` are imported on first use, so a run that never leaves this
machine never loads asyncssh.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from opsbook.procedures.executors.protocol import CommandResult, CommandSpec, Executor
from opsbook.runbook.model import Runbook
from opsbook.runbook.ssh_settings import PER_STEP, SshSettings, read_ssh_settings

if TYPE_CHECKING:
    from opsbook.procedures.engine import Plan
    from opsbook.procedures.executors.ssh_pool import WorkerPool


class SshHosts:
    """Runs a command on named hosts of the runbook's front matter over SSH."""

    def __init__(
        self, runbook: Runbook, *, plan: Plan | None = None, cores: int | None = None
    ) -> None:
        self.runbook = runbook
        # Hosts that get a shell for their one command rather than a session.
        self.run_once = hosts_run_once(plan) if plan is not None else frozenset()
        self.executors: dict[str, Executor] = {}
        # Worker processes for big fan-outs (ssh_pool.py): as the front matter says, else
        # `cores` of them, else one per core.
        self.cores = cores
        self.pool: WorkerPool | None = None

    @cached_property
    def ssh(self) -> SshSettings:
        """Return the front matter's `ssh:` settings (read once, on the first remote step)."""
        return read_ssh_settings(self.runbook.settings)

    def executor(self, name: str) -> Executor:
        """Return the (cached) executor for a host name: a session, or a shell per step."""
        if name not in self.executors:
            ssh = self.ssh
            host = self.runbook.hosts[name]
            known = ssh.known_hosts
            keys = list(ssh.client_keys) if ssh.client_keys is not None else None
            if self.pool is not None and ssh.shell != PER_STEP:
                self.executors[name] = self.pool.host(host)
            elif ssh.shell == PER_STEP or name in self.run_once:
                module = importlib.import_module("opsbook.procedures.executors.ssh")
                self.executors[name] = module.SshExecutor(
                    host,
                    known_hosts=known,
                    client_keys=keys,
                    connect_timeout=ssh.connect_timeout,
                    login=ssh.login,
                )
            else:
                module = importlib.import_module("opsbook.procedures.executors.ssh_session")
                self.executors[name] = module.SshSession(
                    host,
                    known_hosts=known,
                    client_keys=keys,
                    connect_timeout=ssh.connect_timeout,
                    login=ssh.login,
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
        self._pool_for(hosts)
        executors = [self.executor(name) for name in hosts]
        results: dict[str, CommandResult] = await fanout.run_on_hosts(
            executors, spec, limit=limit, on_result=on_result
        )
        return results

    def _pool_for(self, hosts: Sequence[str]) -> None:
        """Start worker processes when this step reaches more new hosts than one core serves."""
        if self.pool is not None:
            return
        ssh = self.ssh
        if ssh.shell == PER_STEP or ssh.workers == 0:
            return
        pool = importlib.import_module("opsbook.procedures.executors.ssh_pool")
        workers = ssh.workers if ssh.workers is not None else self.cores or pool.usable_cores()
        new = [name for name in hosts if name not in self.executors]
        if workers > 1 and len(new) >= pool.WORKERS_FROM:
            self.pool = pool.WorkerPool(ssh, workers)

    async def close(self) -> None:
        """Close every connection opened during the run, all hosts at once."""
        if not self.executors:
            return
        # lazy: a run that never leaves this machine never loads asyncio
        import asyncio

        executors = list(self.executors.values())
        self.executors.clear()
        await asyncio.gather(*(executor.close() for executor in executors))
        pool, self.pool = self.pool, None
        if pool is not None:
            await pool.close()


def hosts_run_once(plan: Plan) -> frozenset[str]:
    """Return the hosts the plan runs one command on, once (no other item, no retries)."""
    commands: Counter[str] = Counter()
    for item in plan.items:
        if item.command is not None and not item.local:
            for host in item.hosts:
                commands[host] += 1 + item.step.attrs.retries
    return frozenset(host for host, count in commands.items() if count == 1)
