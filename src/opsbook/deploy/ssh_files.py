"""Read configuration files on hosts over SSH, with the procedures' SSH executor.

One fixed script per file; the path travels in the environment (`OPSBOOK_CONFIG_FILE`),
never in the command text. It prints `missing`, or the mode, owner, group, size and ctime
(`stat`), the SHA-256, and the content in base64 when it is small enough to keep a copy.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from datetime import UTC, datetime

from opsbook.deploy.config_targets import ConfigTarget
from opsbook.deploy.file_state import MAX_COPY, FileState, text_of
from opsbook.errors import Refused
from opsbook.runbook.model import Runbook

SCRIPT = (
    'f="$OPSBOOK_CONFIG_FILE"; '
    'if [ ! -e "$f" ]; then echo missing; exit 0; fi; '
    "stat -L -c '%a %U %G %s %Z' -- \"$f\" && "
    "sha256sum -- \"$f\" | cut -d' ' -f1 && "
    f'if [ "$(stat -L -c %s -- "$f")" -le {MAX_COPY} ]; then base64 -w0 -- "$f"; fi'
)
TIMEOUT = 60.0


class SshFiles:
    """A `FileReader` of files on the runbook's hosts."""

    def __init__(self, runbook: Runbook) -> None:
        self.runbook = runbook

    def read(self, targets: list[ConfigTarget]) -> dict[str, FileState]:
        """Return each target's state, by key; an unreachable host is an error."""
        return asyncio.run(self._read(targets))

    async def _read(self, targets: list[ConfigTarget]) -> dict[str, FileState]:
        # lazy: asyncssh is loaded only when a file is on a host
        from opsbook.procedures.executors.protocol import CommandSpec
        from opsbook.procedures.executors.ssh_hosts import SshHosts

        hosts = SshHosts(self.runbook)
        out: dict[str, FileState] = {}
        try:
            for target in targets:
                spec = CommandSpec(
                    command=SCRIPT,
                    env={"OPSBOOK_CONFIG_FILE": target.path},
                    timeout=TIMEOUT,
                    output_limit=MAX_COPY * 2,
                )
                result = await hosts.executor(target.host).run(spec)
                if not result.ok:
                    why = result.error or result.stderr.strip() or f"exit {result.exit_code}"
                    raise Refused(f"cannot read {target.host}:{target.path}: {why}")
                out[target.key] = parse_answer(result.stdout, f"{target.host}:{target.path}")
        finally:
            await hosts.close()
        return out


def parse_answer(stdout: str, where: str) -> FileState:
    """Return the file state the script printed."""
    lines = stdout.splitlines()
    if lines[:1] == ["missing"]:
        return FileState(exists=False)
    try:
        mode, owner, group, size, ctime = lines[0].split()
        digest = lines[1].strip()
        data = base64.b64decode(lines[2], validate=True) if len(lines) > 2 else None
        return FileState(
            exists=True,
            sha256=digest,
            mode=int(mode, 8),
            owner=owner,
            group=group,
            size=int(size),
            changed_at=datetime.fromtimestamp(int(ctime), UTC),
            text=text_of(data) if data is not None else None,
        )
    except (IndexError, ValueError, binascii.Error):
        raise Refused(f"cannot read {where}: unexpected answer {stdout[:200]!r}") from None
