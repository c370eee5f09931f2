"""Run a command on a host of the front matter over SSH (asyncssh).

A shell per step: what runs a step where the host has no bash for a run-long session
(`ssh_session.py`), where the front matter asks for it (`ssh: {shell: per-step}`), and
on a host the run gives one command (`ssh_hosts.hosts_run_once`).
Trust and connections are `ssh_connection.py`'s.

Environment: values never appear in the command line. asyncssh's `env=` sends "env"
requests without asking for a reply, and sshd drops every variable not listed in its
AcceptEnv (by default only LANG and LC_*), so there is no way to know whether a variable
arrived. Instead the remote command line is always the same fixed wrapper (`WRAPPER`, run
by `sh`, re-executed under bash where the host has it). The client writes to its stdin a
line count, then `export NAME='value'` lines (names checked, values shell-quoted), an
optional `cd`, and the step's command; text that `read` could not carry whole (a NUL, a
lone surrogate) is refused before anything is sent. The wrapper reads exactly those lines
(a count that is not a number ends it with 125, running nothing), then evaluates them
with stdin on /dev/null, so its exit status is the command's. No value is ever part of
the command line that sshd hands to the login shell, and a value such as
`$(touch /tmp/x)` stays an inert string.

Timeouts: signals over SSH are not dependable (OpenSSH refuses them for root logins and
older servers ignore them), so the wrapper keeps a watcher reading the rest of stdin. On a
timeout the client closes stdin; the watcher then sends TERM, and two seconds later KILL,
to the session's process group (sshd starts every session in a new one), which takes down
the whole remote process tree. The same happens if the connection drops, so a crashed
opsbook leaves no remote commands behind. Once the step's shell has ended, the end of
input stops nothing (the watcher looks first). A step whose shell exits while a background
child still holds its output (it started a daemon) is finished PIPE_GRACE later, as a
local step is; the child keeps running.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from typing import Any

from opsbook.inputs import text_problem
from opsbook.procedures.executors.asyncssh_loaded import asyncssh
from opsbook.procedures.executors.local import BoundedOutput
from opsbook.procedures.executors.protocol import CommandResult, CommandSpec
from opsbook.procedures.executors.ssh_connection import (
    DEFAULT_CONNECT_TIMEOUT,
    ConnectFailed,
    SshConnection,
)
from opsbook.procedures.executors.ssh_session_wire import shell_options
from opsbook.procedures.shellvars import is_variable_name
from opsbook.runbook.model import Host

# After stdin closes the watcher sends TERM, then KILL two seconds later.
KILL_GRACE = 4.0
# Once the remote shell has exited, how long to wait for output still held open by its
# background children (a step that starts a daemon); as for local steps.
PIPE_GRACE = 0.2
# How often to look whether the remote shell has exited while its output is still open.
EXIT_POLL = 0.05

# POSIX sh, one line and no single quotes so any login shell passes it through unchanged.
# Under bash (nearly always) the newline comes from `printf -v`, not from `$(...)`: a
# command substitution forks, and a fork per host was 20% of the wrapper's CPU on a fleet.
# fd 3 keeps the channel's stdin for the watcher: an asynchronous list would get /dev/null.
WRAPPER = (
    "exec 3<&0; IFS= read -r n || exit 125; "
    'case $n in ""|*[!0-9]*) exit 125;; esac; '
    'if [ -n "$BASH_VERSION" ]; then printf -v nl "\\n"; else nl=$(printf "\\nx"); nl=${nl%x}; fi; '
    "s=; "
    'while [ "$n" -gt 0 ]; do IFS= read -r l || exit 125; s="$s$l$nl"; n=$((n - 1)); done; '
    '(trap "" TERM; while read -r _; do :; done; kill -0 $$ 2>/dev/null || exit 0; '
    "kill -TERM 0; sleep 2; kill -KILL 0) <&3 >/dev/null 2>&1 & "
    'exec </dev/null 3<&-; eval "$s"'
)


def command_line(login: bool) -> str:
    """Return the command sshd hands to the login shell: the wrapper, under bash if there.

    bash starts as the session's does (`ssh_session_wire.shell_options`): the login
    shell sshd starts has read its start-up file (~/.bashrc) already, and a plain
    `bash -c` would read it a second time (bash reads it when started from sshd).
    """
    bash = f"bash {shell_options(login)} -c"
    pick = f'command -v bash >/dev/null 2>&1 && exec {bash} "$0"; exec sh -c "$0"'
    return f"sh -c '{pick}' '{WRAPPER}'"


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


class SshExecutor:
    """Runs each command on one host in a shell of its own, over one reused connection."""

    def __init__(
        self,
        host: Host,
        *,
        known_hosts: str | None = None,
        client_keys: list[str] | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        login: bool = False,
    ) -> None:
        self.host = host.name
        self.connection = SshConnection(
            host,
            known_hosts=known_hosts,
            client_keys=client_keys,
            connect_timeout=connect_timeout,
        )
        self.login = login

    @classmethod
    def sharing(cls, connection: SshConnection) -> SshExecutor:
        """Return an executor that runs its steps over a connection already made."""
        executor = cls.__new__(cls)
        executor.host = connection.host
        executor.connection = connection
        executor.login = False  # used where the host has no bash: nothing to log in to
        return executor

    @property
    def where(self) -> str:
        """Return the address and port as people write them: host:port."""
        return self.connection.where

    async def run(self, spec: CommandSpec) -> CommandResult:
        """Run the command on the host; report failures to connect in `error`."""
        started = time.monotonic()
        try:
            script = stdin_script(spec)
        except ValueError as exc:
            return CommandResult(exit_code=None, error=str(exc))
        try:
            conn = await self.connection.open()
            return await self._run_on(conn, spec, script, started)
        except ConnectFailed as exc:
            return CommandResult(
                exit_code=None, duration=time.monotonic() - started, error=str(exc)
            )
        except (OSError, asyncssh.Error) as exc:
            self.connection.forget()
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
        process = await conn.create_process(command_line(self.login), encoding=None)
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

    async def close(self) -> None:
        """Close the connection, if one is open."""
        await self.connection.close()


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
