"""LocalExecutor: a command as a child process on this machine.

The command runs under bash (sh when bash is missing) in a session of its own, so a timeout
or a cancelled run kills the whole process tree, not only the shell. Output is read as it
comes and kept bounded: the head and the tail of each stream, the middle dropped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, BinaryIO

from opsbook.procedures.executors.lifeline import Lifeline
from opsbook.procedures.executors.protocol import CommandResult, CommandSpec
from opsbook.procedures.secrets import StreamMasker, cut_after, cut_before, mask_bytes

if TYPE_CHECKING:
    import asyncio

# After the shell exits, how long to wait for background children that still hold its
# output pipes (a step that starts a daemon): their output is not waited for.
PIPE_GRACE = 0.2
# Between SIGTERM to the process group and SIGKILL.
KILL_GRACE = 2.0
READ_CHUNK = 65536


class BoundedOutput:
    """Keeps the first and last `limit // 2` bytes of a stream and counts what it drops.

    Secrets are masked before anything is cut, and across the chunks the stream comes in
    (`secrets.StreamMasker`): no part of a secret is kept, wherever the cut falls.
    """

    def __init__(self, limit: int, secrets: Iterable[str] = ()) -> None:
        self.half = max(limit // 2, 1)
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0
        self.masker = StreamMasker(secrets) if secrets else None

    def add(self, chunk: bytes) -> None:
        """Keep what is due of a chunk of the stream, masked."""
        self._keep(self.masker.feed(chunk) if self.masker is not None else chunk)

    def _keep(self, chunk: bytes) -> None:
        room = self.half - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            extra = len(self.tail) - self.half
            if extra > 0:
                del self.tail[:extra]
                self.dropped += extra

    @classmethod
    def read(
        cls, stream: BinaryIO, limit: int, secrets: Iterable[str] = (), size: int | None = None
    ) -> BoundedOutput:
        """Keep a file's head and tail the same way, reading only those two parts.

        `size`: the stream's length, for a stream that is not a file (`OutputEnds`).
        """
        kept = cls(limit, secrets)
        size = os.fstat(stream.fileno()).st_size if size is None else size
        if kept.masker is not None and size > 4 * kept.half:
            return kept._read_masked(stream, size, kept.masker)
        if kept.masker is not None:  # small enough to mask whole, then cut as it streams
            kept.add(stream.read())
            return kept
        kept.add(stream.read(kept.half))
        if size > 2 * kept.half:
            kept.dropped = size - 2 * kept.half
            stream.seek(size - kept.half)
        kept.add(stream.read())
        return kept

    def _read_masked(self, stream: BinaryIO, size: int, masker: StreamMasker) -> BoundedOutput:
        """Read a big file's head and tail, each cut where no secret is split, and mask them."""
        secrets, hold = masker.secrets, masker.hold
        head = stream.read(self.half + hold)
        end = cut_before(head, self.half, secrets)
        start = size - self.half - hold
        stream.seek(start)
        tail = stream.read()
        begin = cut_after(tail, hold, secrets)
        self.head = bytearray(mask_bytes(head[:end], secrets))
        self.tail = bytearray(mask_bytes(tail[begin:], secrets)[-self.half :])
        self.dropped = start + begin - end
        self.masker = None  # nothing waits for more
        return self

    def text(self) -> str:
        """Return what was kept as text, with a marker where the middle was dropped."""
        if self.masker is not None:
            self._keep(self.masker.flush())
        head = self.head.decode("utf-8", errors="replace")
        tail = self.tail.decode("utf-8", errors="replace")
        if self.dropped:
            return f"{head}\n[... {self.dropped} bytes dropped ...]\n{tail}"
        return head + tail


class LocalExecutor:
    """Runs commands on this machine; `env` is added to this process's environment."""

    def __init__(self, base_env: Mapping[str, str] | None = None, shell: str | None = None):
        self.host = "local"
        self.base_env = dict(os.environ if base_env is None else base_env)
        self.shell = shell or shutil.which("bash") or "/bin/sh"
        bash = shutil.which("bash")
        # Kills the step's processes if this process dies (kill -9): see lifeline.py.
        self.lifeline = Lifeline(bash) if bash else None

    async def run(self, spec: CommandSpec) -> CommandResult:
        """Run the command to its end or its timeout; a cancelled run kills the tree."""
        # lazy: keeps asyncio off the start-up of a plain `opsbook run`
        import asyncio  # here: a run whose shell is a session never needs it

        started = time.monotonic()
        env = {**self.base_env, **spec.env}
        # Our own pipes, not asyncio's: its process.wait() also waits for the pipes to
        # close, which a daemon started by the step would hold open for its whole life.
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                self.shell,
                "-c",
                spec.command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out_w,
                stderr=err_w,
                cwd=spec.cwd,
                env=env,
                start_new_session=True,
            )
        except (OSError, ValueError) as exc:
            for fd in (out_r, err_r):
                os.close(fd)
            where = f" in {spec.cwd}" if spec.cwd else ""
            # ValueError: a NUL or a lone surrogate in the command, a value or the cwd.
            why = exc.strerror if isinstance(exc, OSError) else "it holds a NUL or invalid text"
            return CommandResult(None, error=f"cannot start the command{where}: {why}")
        finally:
            os.close(out_w)
            os.close(err_w)
        if self.lifeline is not None:
            self.lifeline.watch(process.pid)
        try:
            return await self._finish(spec, process, out_r, err_r, started)
        finally:
            if self.lifeline is not None:
                self.lifeline.forget(process.pid)

    async def _finish(
        self,
        spec: CommandSpec,
        process: asyncio.subprocess.Process,
        out_r: int,
        err_r: int,
        started: float,
    ) -> CommandResult:
        """Read the step's output until it ends or times out; a cancelled run kills the tree."""
        # lazy: keeps asyncio off the start-up of a plain `opsbook run`
        import asyncio

        out = BoundedOutput(spec.output_limit, spec.secrets)
        err = BoundedOutput(spec.output_limit, spec.secrets)
        readers = [
            asyncio.ensure_future(_pump(out_r, out)),
            asyncio.ensure_future(_pump(err_r, err)),
        ]
        timed_out = False
        try:
            await asyncio.wait_for(process.wait(), spec.timeout)
        except TimeoutError:
            timed_out = True
            await _kill_tree(process)
        except asyncio.CancelledError:
            await _kill_tree(process)
            for reader in readers:
                reader.cancel()
            raise
        await _finish_reading(readers)
        return CommandResult(
            exit_code=None if timed_out else process.returncode,
            stdout=out.text(),
            stderr=err.text(),
            duration=time.monotonic() - started,
            timed_out=timed_out,
            error=f"timed out after {spec.timeout:g}s; its process tree was killed"
            if timed_out and spec.timeout is not None
            else None,
        )

    async def close(self) -> None:
        """Stop the watcher: every command is its own process, already ended."""
        if self.lifeline is not None:
            self.lifeline.close()


async def _pump(fd: int, into: BoundedOutput) -> None:
    # lazy: keeps asyncio off the start-up of a plain `opsbook run`
    import asyncio

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=READ_CHUNK)
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", 0)
    )
    try:
        while chunk := await reader.read(READ_CHUNK):
            into.add(chunk)
    finally:
        transport.close()


async def _finish_reading(readers: Sequence[asyncio.Future[None]]) -> None:
    # lazy: keeps asyncio off the start-up of a plain `opsbook run`
    import asyncio

    _done, pending = await asyncio.wait(readers, timeout=PIPE_GRACE)
    for reader in pending:
        reader.cancel()
    if pending:
        await asyncio.wait(pending)


async def _kill_tree(process: asyncio.subprocess.Process) -> None:
    """SIGTERM the process group, then SIGKILL what is left after a grace period."""
    # lazy: keeps asyncio off the start-up of a plain `opsbook run`
    import asyncio

    for sig, grace in ((signal.SIGTERM, KILL_GRACE), (signal.SIGKILL, None)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        if grace is None:
            break
        try:
            await asyncio.wait_for(asyncio.shield(process.wait()), grace)
        except TimeoutError:
            continue
        # The shell is gone; its children may still be alive in the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        break
    with contextlib.suppress(ProcessLookupError):
        await process.wait()
