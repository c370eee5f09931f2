"""One host's SSH connection, trusted and explained: host keys, ~/.ssh/config, timeouts.

Trust: host keys are checked against known_hosts (the file given, else the one named by
~/.ssh/config, else ~/.ssh/known_hosts). A host that is missing from it, or whose key has
changed, is refused with a message saying which and what to do; nothing is accepted
silently. ~/.ssh/config (User, Port, HostName, IdentityFile, ProxyJump...) and the SSH
agent are honoured through asyncssh's own support.

The connection is opened on first use, reused by every step of the run on that host and
closed by `close()`; a broken one is reopened on the next step.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from opsbook.procedures.executors.asyncssh_loaded import asyncssh
from opsbook.runbook.model import Host

DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"
# How long to wait for a host to accept the connection and finish authentication.
DEFAULT_CONNECT_TIMEOUT = 10.0


def known_hosts_entries(paths: list[str], host: str, address: str, port: int) -> int:
    """Count the keys known_hosts files list for a host (0 if none or unreadable)."""
    readable = [p for p in (str(Path(x).expanduser()) for x in paths) if Path(p).is_file()]
    if not readable:
        return 0
    try:
        keys = asyncssh.read_known_hosts(readable).match(host, address, port)[0]
    except (OSError, ValueError, asyncssh.Error):
        return 0
    return len(keys)


class SshConnection:
    """One host's SSH connection: opened on first use, reused, reopened after a break."""

    def __init__(
        self,
        host: Host,
        *,
        known_hosts: str | None = None,
        client_keys: list[str] | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        self.host = host.name
        self._target = host
        self._known_hosts = known_hosts
        self._client_keys = client_keys
        self._connect_timeout = connect_timeout
        self._conn: asyncssh.SSHClientConnection | None = None
        self._lock = asyncio.Lock()

    @property
    def where(self) -> str:
        """Return the address and port as people write them: host:port."""
        return f"{self._target.address}:{self._target.port}"

    def _options(self) -> asyncssh.SSHClientConnectionOptions:
        extra: dict[str, Any] = {}
        if self._target.user:
            extra["username"] = self._target.user
        if self._target.port != 22:
            extra["port"] = self._target.port
        if self._client_keys is not None:
            extra["client_keys"] = self._client_keys
        known: Any = self._known_hosts if self._known_hosts is not None else ()
        options = asyncssh.SSHClientConnectionOptions(
            known_hosts=known, connect_timeout=self._connect_timeout, **extra
        )
        if options.known_hosts is None:
            # "UserKnownHostsFile none" in ssh config would disable checking: refuse that.
            options = asyncssh.SSHClientConnectionOptions(
                options=options, known_hosts=str(Path(DEFAULT_KNOWN_HOSTS).expanduser())
            )
        return options

    def _known_hosts_paths(self, options: asyncssh.SSHClientConnectionOptions) -> list[str]:
        known = options.known_hosts
        if isinstance(known, str):
            return [known]
        if isinstance(known, list | tuple) and known and all(isinstance(k, str) for k in known):
            return [str(k) for k in known]
        return [DEFAULT_KNOWN_HOSTS]

    def _host_key_error(self, options: asyncssh.SSHClientConnectionOptions) -> str:
        address, port = self._target.address, self._target.port
        paths = self._known_hosts_paths(options)
        names = ", ".join(paths)
        scan = f"ssh-keyscan -p {port} {address}" if port != 22 else f"ssh-keyscan {address}"
        entry = f"'[{address}]:{port}'" if port != 22 else address
        if known_hosts_entries(paths, address, address, port):
            return (
                f"host key of {self.host} ({self.where}) has CHANGED: it does not match the "
                f"key recorded in {names}; this may be a man-in-the-middle attack. If the host "
                "was rebuilt, check its new fingerprint, then replace the old line "
                f"(ssh-keygen -R {entry}; {scan} >> known_hosts)"
            )
        return (
            f"host key of {self.host} ({self.where}) is unknown: it is not in {names}; "
            f"check the host's fingerprint, then add it ({scan} >> known_hosts) and retry"
        )

    async def open(self) -> asyncssh.SSHClientConnection:
        """Return the open connection, connecting first if there is none (or it broke)."""
        async with self._lock:
            if self._conn is not None and not self._conn.is_closed():
                return self._conn
            if self._known_hosts is not None and not os.access(self._known_hosts, os.R_OK):
                raise ConnectFailed(
                    f"known_hosts file {self._known_hosts} for {self.host} cannot be read; "
                    "create it with the host's key (ssh-keyscan) or fix the path"
                )
            options = self._options()
            try:
                self._conn = await asyncssh.connect(self._target.address, options=options)
            except asyncssh.HostKeyNotVerifiable:
                raise ConnectFailed(self._host_key_error(options)) from None
            except asyncssh.PermissionDenied as exc:
                raise ConnectFailed(
                    f"authentication to {self.host} ({self.where}) failed: {exc.reason}; "
                    "check the user, the SSH agent and the keys in ~/.ssh/config"
                ) from None
            except TimeoutError:
                raise ConnectFailed(
                    f"cannot reach {self.host} ({self.where}): no answer within "
                    f"{self._connect_timeout:g} s"
                ) from None
            except OSError as exc:
                # asyncio words refusals as "Connect call failed"; say what happened.
                reason = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else str(exc)
                raise ConnectFailed(
                    f"cannot connect to {self.host} ({self.where}): {reason}"
                ) from None
            except asyncssh.Error as exc:
                raise ConnectFailed(
                    f"cannot connect to {self.host} ({self.where}): {exc}"
                ) from None
            return self._conn

    def forget(self) -> None:
        """Drop a broken connection; the next `open()` makes a new one."""
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def abort(self) -> None:
        """Drop the connection at once, sending nothing (the host sees it end)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.abort()

    async def close(self) -> None:
        """Close the connection, if one is open."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
            await conn.wait_closed()


class ConnectFailed(Exception):
    """The host could not be reached, trusted or logged into; the message says which."""
