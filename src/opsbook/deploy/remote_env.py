"""Read the environment a host's SSH session has, for `opsbook env check --host`."""

from __future__ import annotations

import asyncio

from opsbook.errors import BadInput, Refused
from opsbook.runbook.model import Runbook

TIMEOUT = 30.0


def host_environment(runbook: Runbook, host: str) -> dict[str, str]:
    """Return the environment a command run on `host` over SSH sees."""
    if host not in runbook.hosts:
        known = ", ".join(runbook.hosts) or "none"
        raise BadInput(f'no host "{host}" in the front matter (hosts: {known})')
    return asyncio.run(_read(runbook, host))


async def _read(runbook: Runbook, host: str) -> dict[str, str]:
    # lazy: asyncssh is loaded only when a host is asked
    from opsbook.procedures.executors.protocol import CommandSpec
    from opsbook.procedures.executors.ssh_hosts import SshHosts

    hosts = SshHosts(runbook)
    try:
        result = await hosts.executor(host).run(CommandSpec(command="env -0", timeout=TIMEOUT))
    finally:
        await hosts.close()
    if not result.ok:
        why = result.error or result.stderr.strip() or f"exit {result.exit_code}"
        raise Refused(f"cannot read the environment on {host}: {why}")
    pairs = (item.partition("=") for item in result.stdout.split("\0") if "=" in item)
    return {name: value for name, _, value in pairs}
