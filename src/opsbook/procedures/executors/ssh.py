"""Run a command on a host of the front matter over SSH (asyncssh).

Trust: host keys are checked against known_hosts (the file given, else the one named by
~/.ssh/config, else ~/.ssh/known_hosts). A host that is missing from it, or whose key has
changed, is refused with a message saying which and what to do; nothing is accepted
silently. ~/.ssh/config (User, Port, HostName, IdentityFile, ProxyJump...) and the SSH
agent are honoured through asyncssh's own support.

Environment: values never appear in the command line. asyncssh's `env=` sends "env"
requests without asking for a reply, and sshd drops every variable not listed in its
AcceptEnv (by default only LANG and LC_*), so there is no way to know whether a variable
arrived. Instead the remote command line is always the same fixed wrapper (`WRAPPER`, run
by `sh`, re-executed under bash where the host has it). The client writes to its stdin a
line count, then `export NAME='value'` lines (names checked, values shell-quoted), an
optional `cd`, and the step's command; text that `read` could not carry whole (a NUL, a
lone surrogate) is refused before anything is sent. The wrapper reads exactly those lines
(a count that is not a number ends it with 125, running nothing), evaluates
them in a subshell whose stdin is /dev/null, and exits with the command's status. No
value is ever part of the command line that sshd hands to the login shell, and a value
such as `$(touch /tmp/x)` stays an inert string.

Timeouts: signals over SSH are not dependable (OpenSSH refuses them for root logins and
older servers ignore them), so the wrapper keeps a watcher reading the rest of stdin. On a
timeout the client closes stdin; the watcher then sends TERM, and two seconds later KILL,
to the session's process group (sshd starts every session in a new one), which takes down
the whole remote process tree. The same happens if the connection drops, so a crashed
opsbook leaves no remote commands behind. A step whose shell exits while a background
child still holds its output (it started a daemon) is finished PIPE_GRACE later, as a
local step is; the child keeps running.

Connections: one per executor (one host), opened on first use, reused by every step and
closed by `close()`; a broken connection is reopened on the next step.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import time
from pathlib import Path
from typing import Any

import asyncssh

from opsbook.inputs import text_problem
from opsbook.procedures.executors.local import BoundedOutput
from opsbook.procedures.executors.protocol import CommandResult, CommandSpec
from opsbook.procedures.shellvars import is_variable_name
from opsbook.runbook.model import Host

DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"
# After stdin closes the watcher sends TERM, then KILL two seconds later.
KILL_GRACE = 4.0
# Once the remote shell has exited, how long to wait for output still held open by its
# background children (a step that starts a daemon); as for local steps.
PIPE_GRACE = 0.2
# How often to look whether the remote shell has exited while its output is still open.
EXIT_POLL = 0.05

# POSIX sh, one line and no single quotes so any login shell passes it through unchanged.
# fd 3 keeps the channel's stdin for the watcher: an asynchronous list would get /dev/null.
WRAPPER = (
    "exec 3<&0; IFS= read -r n || exit 125; "
    'case $n in ""|*[!0-9]*) exit 125;; esac; '
    'nl=$(printf "\\nx"); nl=${nl%x}; s=; '
    'while [ "$n" -gt 0 ]; do IFS= read -r l || exit 125; s="$s$l$nl"; n=$((n - 1)); done; '
    '(trap "" TERM; while read -r _; do :; done; kill -TERM 0; sleep 2; kill -KILL 0) '
    "<&3 >/dev/null 2>&1 & "
    'w=$!; (eval "$s") </dev/null 3<&-; r=$?; kill -KILL "$w" 2>/dev/null; exit "$r"'
)
COMMAND_LINE = (
    f"sh -c 'command -v bash >/dev/null 2>&1 && exec bash -c \"$0\"; exec sh -c \"$0\"' '{WRAPPER}'"
)


def stdin_script(spec: CommandSpec) -> bytes:
    """Return what the wrapper reads on stdin: line count, exports, cd, command.

    Raises ValueError for a name that is not a shell name, and for text the wrapper's `read`
    cannot carry (a NUL, which it would drop or cut at; a lone surrogate).
    """
    bad = [name for name in spec.env if not is_variable_name(name)]
    if bad:
        raise ValueError(f"environment variable name {bad[0]!r} is not a valid shell name")
    texts = [("the command", spec.command), ("the cwd", spec.cwd or "")]
    for field, text in [*texts, *((f"variable {k}", v) for k, v in spec.env.items())]:
        problem = text_problem(text)
        if problem is not None:
            raise ValueError(f"{field} {problem}; it cannot be sent to the host")
    lines: list[str] = []
    for name, value in spec.env.items():
        lines.append(f"export {name}={shlex.quote(value)}")
    if spec.cwd:
        lines.append(f"cd -- {shlex.quote(spec.cwd)} || exit 1")
    lines.append(spec.command)
    body = "\n".join(lines) + "\n"
    return f"{body.count(chr(10))}\n{body}".encode()


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


class SshExecutor:
    """Runs commands on one host over a single reused SSH connection."""

    def __init__(
        self,
        host: Host,
        *,
        known_hosts: str | None = None,
        client_keys: list[str] | None = None,
        connect_timeout: float = 10.0,
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

    async def _connection(self) -> asyncssh.SSHClientConnection:
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

    async def run(self, spec: CommandSpec) -> CommandResult:
        """Run the command on the host; report failures to connect in `error`."""
        started = time.monotonic()
        try:
            script = stdin_script(spec)
        except ValueError as exc:
            return CommandResult(exit_code=None, error=str(exc))
        try:
            conn = await self._connection()
            return await self._run_on(conn, spec, script, started)
        except ConnectFailed as exc:
            return CommandResult(
                exit_code=None, duration=time.monotonic() - started, error=str(exc)
            )
        except (OSError, asyncssh.Error) as exc:
            self._forget_connection()
            return CommandResult(
                exit_code=None,
                duration=time.monotonic() - started,
                error=f"SSH session to {self.host} ({self.where}) failed: {exc}",
            )

    async def _run_on(
        self,
        conn: asyncssh.SSHClientConnection,
        spec: CommandSpec,
        script: bytes,
        started: float,
    ) -> CommandResult:
        process = await conn.create_process(COMMAND_LINE, encoding=None)
        out = BoundedOutput(spec.output_limit, spec.secrets)
        err = BoundedOutput(spec.output_limit, spec.secrets)
        process.stdin.write(script)
        drain = asyncio.ensure_future(
            asyncio.gather(
                _pump(process.stdout, out), _pump(process.stderr, err), process.wait_closed()
            )
        )
        timed_out = False
        try:
            await asyncio.wait_for(_until_exit(process, drain), spec.timeout)
        except TimeoutError:
            timed_out = True
            # Closing stdin makes the remote watcher kill the session's process group.
            process.stdin.write_eof()
            if not (await asyncio.wait([drain], timeout=KILL_GRACE))[0]:
                process.close()
        except asyncio.CancelledError:
            # The run was abandoned (Ctrl-C): closing the channel ends the remote tree too.
            process.close()
            raise
        finally:
            if not drain.done():
                drain.cancel()
        exit_code = None if timed_out else process.exit_status
        if exit_code is not None and exit_code < 0:
            exit_code = None
        error = None
        if exit_code is None and not timed_out:
            signal = process.exit_signal
            error = (
                f"remote command on {self.host} was killed by signal {signal[0]}"
                if signal
                else f"remote command on {self.host} ended without an exit status"
            )
        return CommandResult(
            exit_code=exit_code,
            stdout=out.text(),
            stderr=err.text(),
            duration=time.monotonic() - started,
            timed_out=timed_out,
            error=error,
        )

    def _forget_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    async def close(self) -> None:
        """Close the connection, if one is open."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
            await conn.wait_closed()


class ConnectFailed(Exception):
    """The host could not be reached, trusted or logged into; the message says which."""


async def _until_exit(
    process: asyncssh.SSHClientProcess[bytes], drain: asyncio.Future[Any]
) -> None:
    """Wait for the output to end, or for the shell to exit and PIPE_GRACE to pass."""
    while not drain.done():
        if process.exit_status is not None or process.exit_signal is not None:
            if not (await asyncio.wait([drain], timeout=PIPE_GRACE))[0]:
                # Background children keep running; their later output is not waited for.
                process.close()
                await asyncio.wait([drain], timeout=PIPE_GRACE)
            return
        await asyncio.wait([drain], timeout=EXIT_POLL)


async def _pump(stream: asyncssh.SSHReader[bytes], sink: BoundedOutput) -> None:
    while True:
        data = await stream.read(65536)
        if not data:
            return
        sink.add(data)
