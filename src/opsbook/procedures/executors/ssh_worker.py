"""A worker process that keeps SSH sessions for some of a run's hosts (see `ssh_pool.py`).

Run as `python -m opsbook.procedures.executors.ssh_worker`. It reads one JSON message per
line on stdin and answers on stdout, one line per finished step:

    {"op": "host", "name": "web1", "address": "10.0.0.1", "user": "deploy", "port": 22,
     "known_hosts": null, "client_keys": null, "connect_timeout": 10.0, "login": false}
    {"op": "run", "id": 7, "host": "web1", "spec": {"command": "hostname", ...}}
    {"op": "cancel", "id": 7}
    {"op": "close"}                      -> closes every session cleanly, then exits
    ← {"id": 7, "result": {"exit_code": 0, "stdout": "web1\\n", ...}}

When stdin ends without "close" (the run's process died) every session is dropped at
once, so each host stops the step it was running.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict
from typing import Any

from opsbook.procedures.executors.protocol import CommandResult, CommandSpec
from opsbook.procedures.executors.ssh_session import SshSession
from opsbook.runbook.model import Host

# A message carries at most two bounded outputs; this leaves room for big output limits.
LINE_LIMIT = 64 * 1024 * 1024


def spec_message(spec: CommandSpec) -> dict[str, Any]:
    """Return a command spec as JSON-ready data."""
    return {
        "command": spec.command,
        "env": dict(spec.env),
        "cwd": spec.cwd,
        "timeout": spec.timeout,
        "output_limit": spec.output_limit,
        "secrets": list(spec.secrets),
    }


def spec_of(data: dict[str, Any]) -> CommandSpec:
    """Return the command spec a message carries."""
    return CommandSpec(
        command=data["command"],
        env=data["env"],
        cwd=data["cwd"],
        timeout=data["timeout"],
        output_limit=data["output_limit"],
        secrets=tuple(data["secrets"]),
    )


def result_message(result: CommandResult) -> dict[str, Any]:
    """Return a result as JSON-ready data."""
    return asdict(result)


def result_of(data: dict[str, Any]) -> CommandResult:
    """Return the result a message carries."""
    return CommandResult(**data)


class Worker:
    """Answers the run's messages; one SshSession per host it was given."""

    def __init__(self, out: asyncio.StreamWriter | Any) -> None:
        self.out = out
        self.sessions: dict[str, SshSession] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}

    def handle(self, message: dict[str, Any]) -> None:
        """Act on one message (a run goes on in the background)."""
        op = message["op"]
        if op == "host":
            host = Host(message["name"], message["address"], message["user"], message["port"])
            self.sessions[host.name] = SshSession(
                host,
                known_hosts=message["known_hosts"],
                client_keys=message["client_keys"],
                connect_timeout=message["connect_timeout"],
                login=message["login"],
            )
        elif op == "run":
            number = int(message["id"])
            task = asyncio.create_task(self.run(number, message["host"], message["spec"]))
            self.tasks[number] = task
            task.add_done_callback(lambda _: self.tasks.pop(number, None))
        elif op == "cancel" and int(message["id"]) in self.tasks:
            self.tasks[int(message["id"])].cancel()

    async def run(self, number: int, host: str, spec: dict[str, Any]) -> None:
        """Run a step on one host and write its result."""
        try:
            result = await self.sessions[host].run(spec_of(spec))
        except asyncio.CancelledError:
            return
        except Exception as exc:  # one host's surprise must not end the others' sessions
            result = CommandResult(None, error=f"{type(exc).__name__}: {exc}")
        line = json.dumps({"id": number, "result": result_message(result)}) + "\n"
        self.out.write(line.encode())

    async def close(self) -> None:
        """End every session cleanly."""
        await asyncio.gather(*(s.close() for s in self.sessions.values()))

    def abandon(self) -> None:
        """Drop every session at once: each host stops the step it is running."""
        for task in self.tasks.values():
            task.cancel()
        for session in self.sessions.values():
            session.connection.forget()


async def serve() -> None:
    """Read messages from stdin until "close" or its end."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    transport, protocol = await loop.connect_write_pipe(asyncio.BaseProtocol, sys.stdout)
    out = asyncio.StreamWriter(transport, protocol, None, loop)
    worker = Worker(out)
    while True:
        line = await reader.readline()
        if not line:
            worker.abandon()
            await asyncio.sleep(0)
            return
        message = json.loads(line)
        if message["op"] == "close":
            await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
            await worker.close()
            return
        worker.handle(message)


if __name__ == "__main__":
    asyncio.run(serve())
