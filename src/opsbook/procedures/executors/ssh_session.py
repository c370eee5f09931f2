"""SshSession: a run's steps on one host in one remote bash, as in one SSH terminal.

The local session shell (`session_shell.py`) over SSH: one connection and one channel per
host per run; every step of the run on that host goes through the same bash, so the cwd,
exported variables and functions carry over, and the user's start-up files run once per
host per run rather than once or twice per step (the wire, and which files run, are in
`ssh_session_wire.py`). A step that ends the shell (`exit 3`) or times out gets a new
shell for the next step; a host without bash gets a shell per step (`ssh.py`).

A timeout closes the channel's input: the remote side then stops the step's processes
(TERM, KILL two seconds later) and the step's reply, with the output it wrote, still
comes back when it can. Cancelling (Ctrl-C) closes the channel; a dropped connection or a
killed opsbook does the same on the host's side. Either way daemons that earlier steps
started (`cmd &`) keep running, as they do after a local run.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import BinaryIO, cast

from opsbook.procedures.executors.asyncssh_loaded import asyncssh
from opsbook.procedures.executors.local import BoundedOutput
from opsbook.procedures.executors.protocol import CommandResult, CommandSpec, timed_out
from opsbook.procedures.executors.session_wire import (
    BAD_REQUEST,
    NO_DIRECTORY,
    MalformedReply,
    WireError,
)
from opsbook.procedures.executors.ssh import SshExecutor
from opsbook.procedures.executors.ssh_connection import (
    DEFAULT_CONNECT_TIMEOUT,
    ConnectFailed,
    SshConnection,
)
from opsbook.procedures.executors.ssh_session_wire import (
    NO_TEMP,
    NOT_FOUND,
    Output,
    StepReply,
    StepReplyReader,
    command_line,
    encode_step,
    start_of_run,
)
from opsbook.procedures.secrets import StreamMasker
from opsbook.procedures.shellvars import is_variable_name
from opsbook.runbook.model import Host

# After a timeout, how long the host may take to stop the step and send what it wrote:
# TERM, two seconds, KILL, and a margin for a slow link.
STOP_GRACE = 6.0
READ_CHUNK = 65536
Process = asyncssh.SSHClientProcess[bytes]


class SshSession:
    """Runs commands one at a time in a run-long bash on one host; `close()` ends it."""

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
            host, known_hosts=known_hosts, client_keys=client_keys, connect_timeout=connect_timeout
        )
        self.login = login
        self.process: Process | None = None
        # The end mark of every request to the running shell: random, so no step can forge it.
        self.end = ""
        # Set once the host turns out to have no bash: a shell per step from then on.
        self.per_step: SshExecutor | None = None
        self.lock = asyncio.Lock()

    @property
    def where(self) -> str:
        """Return the address and port as people write them: host:port."""
        return self.connection.where

    async def run(self, spec: CommandSpec) -> CommandResult:
        """Run the command in the host's session to its end or its timeout."""
        bad = [name for name in spec.env if not is_variable_name(name)]
        if bad:
            return CommandResult(None, error=f"not a variable name: {bad[0]!r}")
        async with self.lock:
            if self.per_step is not None:
                return await self.per_step.run(spec)
            started = time.monotonic()
            try:
                result = await self._run(spec, started)
            except ConnectFailed as exc:
                return CommandResult(None, duration=time.monotonic() - started, error=str(exc))
            except (OSError, asyncssh.Error) as exc:
                self._drop()
                self.connection.forget()
                return CommandResult(
                    None,
                    duration=time.monotonic() - started,
                    error=f"SSH session to {self.host} ({self.where}) failed: {exc}",
                )
            if result is None:  # no bash there: this step and the rest get a shell each
                self._drop()
                self.per_step = SshExecutor.sharing(self.connection)
                return await self.per_step.run(spec)
            return result

    async def _run(self, spec: CommandSpec, started: float) -> CommandResult | None:
        cap = output_cap(spec)
        fresh = self.process is None or self.process.is_closing()
        process = await self._shell()
        try:
            request = encode_step(spec.command, spec.cwd, dict(spec.env), self.end, cap)
        except WireError as exc:
            return CommandResult(None, error=str(exc))
        process.stdin.write(request)
        reader = StepReplyReader(cap)
        try:
            got = await asyncio.wait_for(_reply(process, reader), spec.timeout)
        except TimeoutError:
            process.stdin.write_eof()  # the host stops the step's processes
            self.process = None
            got = await _late_reply(process, reader)
            process.close()
            out, err = _texts(got, spec)
            return timed_out(spec, out, err, time.monotonic() - started)
        except MalformedReply as exc:
            self._drop()
            return CommandResult(
                None,
                duration=time.monotonic() - started,
                error=f"{exc}; the session on {self.host} was closed",
            )
        except asyncio.CancelledError:
            self._drop()
            raise
        if got is None:
            ended = await self._ended(process, started)
            # No bash there: the login shell could not start the run's shell at all.
            return None if fresh and ended.exit_code == NOT_FOUND else ended
        status = got.reply.status
        if status in (NO_TEMP, BAD_REQUEST):
            self._drop()
            what = (
                "cannot make a temporary directory"
                if status == NO_TEMP
                else "the session shell refused a request that did not frame exactly; "
                "nothing of it ran"
            )
            return CommandResult(None, error=f"{what} on {self.host}")
        if status == NO_DIRECTORY:
            return CommandResult(
                None, error=f"cannot start the command in {spec.cwd}: no such directory"
            )
        if status.startswith("e"):  # the step ended the shell: the next step gets a new one
            self._drop()
        out, err = _texts(got, spec)
        return CommandResult(int(status.lstrip("e")), out, err, time.monotonic() - started)

    async def _shell(self) -> Process:
        """Return the run's shell on the host, starting it (and connecting) if needed."""
        if self.process is not None and not self.process.is_closing():
            return self.process
        conn = await self.connection.open()
        command = command_line(self.login)
        process = await conn.create_process(command, encoding=None, stderr=asyncssh.DEVNULL)
        self.end = os.urandom(8).hex()
        process.stdin.write(start_of_run(self.end))
        self.process = process
        return process

    async def _ended(self, process: Process, started: float) -> CommandResult:
        """The shell's output ended without a reply: the step ended the shell (`exit 3`)."""
        self.process = None
        process.stdin.write_eof()
        try:
            await asyncio.wait_for(process.wait_closed(), STOP_GRACE)
        except TimeoutError:
            process.close()
        code = process.exit_status
        if code is None or code < 0:
            signal = process.exit_signal
            why = f"was killed by signal {signal[0]}" if signal else "ended without an exit status"
            return CommandResult(None, error=f"the session shell on {self.host} {why}")
        return CommandResult(code, duration=time.monotonic() - started)

    def _drop(self) -> None:
        """Close the channel at once; the host stops what the steps left running."""
        process, self.process = self.process, None
        if process is not None:
            process.close()

    async def close(self) -> None:
        """Disconnect; the shell ends (daemons the steps started keep running)."""
        # Dropping the connection ends the shell's input; between steps it ends by itself
        # and leaves what the steps started running.
        self.process = None
        if self.per_step is None:
            # Dropped rather than closed packet by packet: each packet to a host costs a
            # send, and on 200 hosts the polite close (channel close, disconnect, waiting
            # for answers) cost seconds. The host sees the end of input either way.
            self.connection.abort()
        else:
            await self.per_step.close()


def output_cap(spec: CommandSpec) -> int:
    """Return how many bytes of each end of a big output the host sends back.

    Enough for `BoundedOutput.read` to keep the same head and tail, and to mask a secret
    that straddles either cut.
    """
    half = max(spec.output_limit // 2, 1)
    hold = StreamMasker(spec.secrets).hold if spec.secrets else 0
    return 2 * half + hold + 1


async def _reply(process: Process, reader: StepReplyReader) -> StepReply | None:
    """Read until the step's whole reply came; None if the shell's output ended first."""
    while True:
        data = await process.stdout.read(READ_CHUNK)
        if not data:
            return None
        got = reader.feed(data)
        if got is not None:
            return got


async def _late_reply(process: Process, reader: StepReplyReader) -> StepReply | None:
    """After a timeout: the reply with the output written so far, if it comes in time."""
    try:
        return await asyncio.wait_for(_reply(process, reader), STOP_GRACE)
    except (TimeoutError, MalformedReply, OSError, asyncssh.Error):
        return None


def _texts(got: StepReply | None, spec: CommandSpec) -> tuple[str, str]:
    if got is None or got.stdout is None or got.stderr is None:
        return "", ""
    return _text(got.stdout, spec), _text(got.stderr, spec)


def _text(frame: Output, spec: CommandSpec) -> str:
    """Keep a stream's head and tail, masked, as a local step's output is kept."""
    if frame.whole:
        kept = BoundedOutput(spec.output_limit, spec.secrets)
        kept.add(frame.head)
        return kept.text()
    ends = cast(BinaryIO, OutputEnds(frame))
    return BoundedOutput.read(ends, spec.output_limit, spec.secrets, size=frame.size).text()


class OutputEnds:
    """A stream's first and last bytes, read as the file they came from (its middle is gone).

    `BoundedOutput.read` only reads within `cap` bytes of either end (see `output_cap`).
    """

    def __init__(self, frame: Output) -> None:
        self.frame = frame
        self.at = 0

    def seek(self, offset: int) -> int:
        """Move to offset."""
        self.at = offset
        return offset

    def read(self, count: int = -1) -> bytes:
        """Return up to count bytes from here (all to the end when count is negative)."""
        size, head, tail = self.frame.size, self.frame.head, self.frame.tail
        stop = size if count < 0 else min(size, self.at + count)
        tail_start = size - len(tail)
        if stop <= len(head):
            data = head[self.at : stop]
        elif self.at >= tail_start:
            data = tail[self.at - tail_start : stop - tail_start]
        else:
            raise ValueError(f"bytes {self.at}-{stop} of the output were not sent")
        self.at = stop
        return data
