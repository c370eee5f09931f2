"""SessionShell: a run's local steps in one bash, one after the other, as in one terminal.

Starting a new bash for every step costs more than most steps do (figures in
docs/benchmarks.md), so a run keeps one bash and
sends it its steps (the wire is in `session_wire.py`). As in a terminal, variables and
functions a step defines are seen by later steps; unlike a terminal, each step starts in
its own directory (`cwd=`, else the runbook's), with the run's parameters and variables
exported afresh and with the default shell options (`set -e` in one step does not leak into
the next).

The shell runs with job control on (`set -m`), so every pipeline a step starts is a process
group of its own: a timeout kills the step's groups and the shell, and nothing else (a
daemon started by an earlier step keeps running). A step that ends the shell (`exit 3`, a
timeout) ends with that status, and the next step gets a new shell.

Two ways to wait for a step, chosen when the shell is made:
- `blocking=True`: `run` blocks in `poll(2)` and never yields to an event loop, so a run
  whose steps are all local can be driven without one (see `loop_free.py`); Ctrl-C or a
  signal handler's exception stops the step and goes on up.
- otherwise the event loop watches the shell's output (`add_reader`) and goes on with other
  work meanwhile, as the dashboard needs; cancelling the task stops the step.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from opsbook.procedures.executors.lifeline import Lifeline
from opsbook.procedures.executors.local import KILL_GRACE, BoundedOutput, LocalExecutor
from opsbook.procedures.executors.protocol import (
    CommandResult,
    CommandSpec,
    Executor,
    timed_out,
)
from opsbook.procedures.executors.session_wire import (
    BAD_REQUEST,
    DRIVER,
    NO_DIRECTORY,
    MalformedReply,
    Reply,
    ReplyReader,
    WireError,
    encode_request,
)
from opsbook.procedures.shellvars import is_variable_name
from opsbook.runbook.frontmatter import PER_STEP_SHELL

if TYPE_CHECKING:
    import asyncio

READ_CHUNK = 4096


class SessionShell:
    """Runs local commands one at a time in a run-long bash; `close()` ends it."""

    def __init__(
        self,
        base_env: Mapping[str, str] | None = None,
        bash: str | None = None,
        *,
        blocking: bool = False,
    ):
        self.host = "local"
        self.base_env = dict(os.environ if base_env is None else base_env)
        found = bash or shutil.which("bash")
        if found is None:
            raise FileNotFoundError("bash is not installed")
        self.bash = found
        self.blocking = blocking
        self.process: subprocess.Popen[bytes] | None = None
        # Made with the first shell, so an executor that never runs a step leaves nothing.
        self.workdir: Path | None = None
        # Background jobs the shell reported: spared when a later step is killed.
        self.jobs: frozenset[int] = frozenset()
        self.count = 0
        # The end mark of every request to the running shell (session_wire.py): random, so
        # that no text of a step's can stand in for it.
        self.end = ""
        self.lock: asyncio.Lock | None = None
        # Kills the step's processes if this process dies (kill -9): see lifeline.py.
        self.lifeline = Lifeline(found)

    async def run(self, spec: CommandSpec) -> CommandResult:
        """Run the command in the session to its end or its timeout; cancelling kills it."""
        bad = [name for name in spec.env if not is_variable_name(name)]
        if bad:
            return CommandResult(None, error=f"not a variable name: {bad[0]!r}")
        if self.blocking:
            return self._run_blocking(spec)
        # lazy: keeps asyncio off the start-up of a plain `opsbook run`
        import asyncio

        self.lock = self.lock or asyncio.Lock()
        async with self.lock:
            return await self._run_in_loop(spec)

    def _send(self, spec: CommandSpec) -> tuple[subprocess.Popen[bytes], str] | CommandResult:
        """Start the shell if it is not running and send it the request."""
        try:
            process = self._shell()
        except OSError as exc:
            return CommandResult(None, error=f"cannot start bash: {exc.strerror}")
        assert self.workdir is not None and process.stdin is not None
        self.count += 1
        prefix = f"{self.workdir}/{self.count}"
        try:
            request = encode_request(spec.command, spec.cwd, prefix, spec.env, self.end)
        except WireError as exc:
            return CommandResult(None, error=str(exc))
        try:
            process.stdin.write(request)
            process.stdin.flush()
        except BrokenPipeError:
            return CommandResult(None, error="the session's bash ended before the step")
        return process, prefix

    def _run_blocking(self, spec: CommandSpec) -> CommandResult:
        started = time.monotonic()
        sent = self._send(spec)
        if isinstance(sent, CommandResult):
            return sent
        process, prefix = sent
        try:
            reply = self._wait(process, spec.timeout)
        except MalformedReply as exc:
            self._stop_step(process)
            return self._broken(spec, prefix, exc, started)
        except BaseException:
            self._stop_step(process)
            self._output(prefix, spec)
            raise
        if reply is None:
            self._stop_step(process)
        return self._result(spec, prefix, reply, started)

    async def _run_in_loop(self, spec: CommandSpec) -> CommandResult:
        # lazy: keeps asyncio off the start-up of a plain `opsbook run`
        import asyncio

        started = time.monotonic()
        sent = self._send(spec)
        if isinstance(sent, CommandResult):
            return sent
        process, prefix = sent
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Reply | None] = loop.create_future()  # None: the shell ended
        reader = ReplyReader()
        fd = _stdout(process)

        def readable() -> None:
            chunk = os.read(fd, READ_CHUNK)
            try:
                got = reader.feed(chunk) if chunk else None
            except MalformedReply as exc:
                loop.remove_reader(fd)
                if not answer.done():
                    answer.set_exception(exc)
                return
            if (got is not None or not chunk) and not answer.done():
                loop.remove_reader(fd)
                answer.set_result(got)

        loop.add_reader(fd, readable)
        reply: Reply | None
        try:
            got = await asyncio.wait_for(answer, spec.timeout)
            reply = got if isinstance(got, Reply) else await asyncio.to_thread(self._ended, process)
        except TimeoutError:
            reply = None
            await asyncio.to_thread(self._stop_step, process)
        except MalformedReply as exc:
            await asyncio.to_thread(self._stop_step, process)
            return self._broken(spec, prefix, exc, started)
        except asyncio.CancelledError:
            await asyncio.to_thread(self._stop_step, process)
            self._output(prefix, spec)
            raise
        finally:
            loop.remove_reader(fd)
        return self._result(spec, prefix, reply, started)

    def _result(
        self, spec: CommandSpec, prefix: str, reply: Reply | None, started: float
    ) -> CommandResult:
        out, err = self._output(prefix, spec)
        if reply is None:
            return timed_out(spec, out, err, time.monotonic() - started)
        if reply.status == NO_DIRECTORY:
            where = f"cannot start the command in {spec.cwd}"
            return CommandResult(None, error=f"{where}: no such directory")
        if reply.status == BAD_REQUEST:
            assert self.process is not None
            self.process.wait()  # the driver exits after refusing
            return CommandResult(
                None,
                error="the session shell refused a request that did not frame exactly; "
                "nothing of it ran",
            )
        self.jobs = reply.jobs
        self.lifeline.spare(reply.jobs)
        return CommandResult(int(reply.status), out, err, time.monotonic() - started)

    def _broken(
        self, spec: CommandSpec, prefix: str, exc: MalformedReply, started: float
    ) -> CommandResult:
        """The shell answered something that is not a reply: it was stopped; say so."""
        out, err = self._output(prefix, spec)
        return CommandResult(
            None,
            out,
            err,
            time.monotonic() - started,
            error=f"{exc}; the shell and the step's processes were stopped",
        )

    def _shell(self) -> subprocess.Popen[bytes]:
        if self.process is not None and self.process.poll() is None:
            return self.process
        if self.process is not None:  # what its steps left running was meant to keep running
            self.lifeline.forget(self.process.pid)
        self.jobs = frozenset()
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="opsbook-steps-"))
        self.end = os.urandom(8).hex()
        self.process = subprocess.Popen(
            [self.bash, "--noprofile", "--norc", "-c", DRIVER, "opsbook-session", self.end],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=self.base_env,
            start_new_session=True,
        )
        self.lifeline.watch(self.process.pid)
        return self.process

    def _wait(self, process: subprocess.Popen[bytes], timeout: float | None) -> Reply | None:
        """Block until the reply (None when the timeout comes first)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        fd = _stdout(process)
        reader = ReplyReader()
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not poller.poll(None if left is None else left * 1000):
                return None
            chunk = os.read(fd, READ_CHUNK)
            if not chunk:
                return self._ended(process)
            reply = reader.feed(chunk)
            if reply is not None:
                return reply

    def _ended(self, process: subprocess.Popen[bytes]) -> Reply:
        """The shell closed its output: the step ended the shell, with this status."""
        return Reply(str(process.wait()), frozenset())

    def _stop_step(self, process: subprocess.Popen[bytes]) -> None:
        """Kill the step's process groups and the shell; the next step gets a new shell.

        The shell goes too: it would otherwise go on with the rest of the step's commands.
        """
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for group in _groups_of_session(process.pid) - self.jobs:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(group, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(KILL_GRACE)
                if not _groups_of_session(process.pid) - self.jobs:
                    break
        process.wait()

    def _output(self, prefix: str, spec: CommandSpec) -> tuple[str, str]:
        texts = []
        for suffix in (".out", ".err"):
            path = prefix + suffix
            try:
                if os.stat(path).st_size:  # most steps write nothing to one stream or both
                    with open(path, "rb") as stream:
                        kept = BoundedOutput.read(stream, spec.output_limit, spec.secrets)
                        texts.append(kept.text())
                else:
                    texts.append("")
                os.unlink(path)
            except FileNotFoundError:
                texts.append("")
        return texts[0], texts[1]

    async def close(self) -> None:
        """End the shell (daemons that steps started keep running); remove the output files."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            assert process.stdin is not None
            process.stdin.close()
            # The shell ends at the end of its requests; its output closing says so at once,
            # where wait(timeout) would poll in sleeps.
            poller = select.poll()
            poller.register(_stdout(process), select.POLLIN)
            poller.poll(KILL_GRACE * 1000)
            try:
                process.wait(KILL_GRACE)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and process.stdout is not None:
            process.stdout.close()
        self.lifeline.close()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


def _stdout(process: subprocess.Popen[bytes]) -> int:
    assert process.stdout is not None
    return process.stdout.fileno()


def _groups_of_session(session: int) -> set[int]:
    """Return the process groups in a session (Linux /proc), the session's own included."""
    groups: set[int] = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rpartition(b")")[2].split()
        except OSError:
            continue
        # After the command name: state, ppid, pgrp, session.
        if int(fields[3]) == session:
            groups.add(int(fields[2]))
    return groups


def local_executor(
    settings: Mapping[str, object],
    base_env: Mapping[str, str] | None = None,
    *,
    blocking: bool = False,
) -> Executor:
    """Return the runbook's local executor: one session (the default) or a bash per step.

    `blocking`: the session never yields to an event loop (for `loop_free.run_loop_free`);
    a bash per step always needs one.
    """
    bash = shutil.which("bash")
    if settings.get("shell") == PER_STEP_SHELL or bash is None:
        return LocalExecutor(base_env)
    return SessionShell(base_env, bash, blocking=blocking)
