"""SSH sessions spread over worker processes, so that a big fan-out uses every core.

Setting up an SSH connection (key exchange, authentication) costs a few milliseconds of
CPU, and one Python process does them one at a time: 200 hosts took one core 6-7 s while
OpenSSH clients, one process each, spread over both. A step on `WORKERS_FROM` hosts or
more therefore starts one worker per core (`ssh_worker.py`); each host is given to one
worker for the rest of the run (its session lives there), round robin. The run's process
still decides what runs when: `parallel=` is one limit over all workers together, and
each host's result comes back as soon as it is there.

A host that had a session before the pool started keeps it in the run's process.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
from typing import Any

from opsbook.procedures.executors.protocol import CommandResult, CommandSpec
from opsbook.procedures.executors.ssh_worker import (
    LINE_LIMIT,
    result_of,
    spec_message,
)
from opsbook.runbook.model import Host
from opsbook.runbook.ssh_settings import SshSettings

# Below this many hosts in one step, one process connects fast enough on its own.
WORKERS_FROM = 48
WORKER_MODULE = "opsbook.procedures.executors.ssh_worker"


def usable_cores() -> int:
    """Return how many cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class WorkerProcess:
    """One worker: sends it messages, and hands each result to the step waiting for it."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.waiting: dict[int, asyncio.Future[CommandResult]] = {}
        self.reading = asyncio.create_task(self._read())

    @classmethod
    async def start(cls) -> WorkerProcess:
        """Start a worker process."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            WORKER_MODULE,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=LINE_LIMIT,
        )
        return cls(process)

    def send(self, message: dict[str, Any]) -> None:
        """Send one message."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            message = json.loads(line)
            future = self.waiting.pop(message["id"], None)
            if future is not None and not future.done():
                future.set_result(result_of(message["result"]))
        for future in self.waiting.values():  # the worker died: say so for every step
            if not future.done():
                future.set_result(CommandResult(None, error="the SSH worker process ended"))
        self.waiting.clear()

    async def close(self) -> None:
        """Ask the worker to end its sessions cleanly, and wait for it."""
        if self.process.returncode is None and self.process.stdin is not None:
            self.send({"op": "close"})
            self.process.stdin.close()
        await self.process.wait()
        await self.reading


class WorkerPool:
    """Worker processes with the hosts given to them."""

    def __init__(self, settings: SshSettings, size: int) -> None:
        self.settings = settings
        self.size = size
        self.workers: list[WorkerProcess] = []
        self.numbers = itertools.count(1)
        self.turn = itertools.cycle(range(size))
        self.started: asyncio.Task[None] | None = None

    async def _ready(self) -> None:
        if self.started is None:
            self.started = asyncio.ensure_future(self._start())
        await asyncio.shield(self.started)

    async def _start(self) -> None:
        self.workers = list(
            await asyncio.gather(*(WorkerProcess.start() for _ in range(self.size)))
        )

    def host(self, host: Host) -> PooledHost:
        """Give a host to the next worker; return its executor."""
        return PooledHost(self, host, next(self.turn))

    async def close(self) -> None:
        """End every worker's sessions cleanly and the workers with them."""
        if self.started is not None:
            await self.started
        await asyncio.gather(*(worker.close() for worker in self.workers))


class PooledHost:
    """An executor for a host whose session lives in a worker process."""

    def __init__(self, pool: WorkerPool, host: Host, index: int) -> None:
        self.host = host.name
        self.target = host
        self.pool = pool
        self.index = index
        self.announced = False

    async def run(self, spec: CommandSpec) -> CommandResult:
        """Run the command in the host's session, in its worker."""
        await self.pool._ready()
        worker = self.pool.workers[self.index]
        if not self.announced:
            ssh = self.pool.settings
            worker.send(
                {
                    "op": "host",
                    "name": self.target.name,
                    "address": self.target.address,
                    "user": self.target.user,
                    "port": self.target.port,
                    "known_hosts": ssh.known_hosts,
                    "client_keys": list(ssh.client_keys) if ssh.client_keys else None,
                    "connect_timeout": ssh.connect_timeout,
                    "login": ssh.login,
                }
            )
            self.announced = True
        number = next(self.pool.numbers)
        future: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        worker.waiting[number] = future
        worker.send({"op": "run", "id": number, "host": self.host, "spec": spec_message(spec)})
        try:
            return await future
        except asyncio.CancelledError:
            worker.waiting.pop(number, None)
            worker.send({"op": "cancel", "id": number})
            raise

    async def close(self) -> None:
        """Nothing of its own to close: the pool ends the worker's sessions."""
