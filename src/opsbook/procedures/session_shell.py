"""SessionShell: a run's local steps in one bash, one after the other, as in one terminal.

Starting a new bash for every step costs more than most steps do (here about 2 ms, against
1 ms for a `grep` started by a shell that is already running), so a run keeps one bash and
sends it its steps. As in a terminal, variables and functions a step defines are seen by
later steps; unlike a terminal, each step starts in its own directory (`cwd=`, else the
runbook's), with the run's parameters and variables exported afresh and with the default
shell options (`set -e` in one step does not leak into the next).

The shell runs with job control on (`set -m`), so every pipeline a step starts is a process
group of its own: a timeout kills the step's groups and the shell, and nothing else (a
daemon started by an earlier step keeps running). A step that ends the shell (`exit 3`, a
timeout) ends with that status, and the next step gets a new shell.

Wire format, shell's stdin (moved to a spare descriptor at once, so that steps read
/dev/null, not the next request): NUL-terminated fields `command, cwd, output-prefix, N` and then
N `NAME=VALUE` fields. Values are data: `export -- "$kv"` assigns without evaluating, and
names are checked here first. Shell's stdout: the process ids of its background jobs
(`jobs -p`, usually none), then `=` and the exit status. Each step's output goes to two
files, read when it ends: a daemon that keeps them open holds nothing up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from opsbook.procedures.executor import CommandResult, CommandSpec, Executor
from opsbook.procedures.local import KILL_GRACE, BoundedOutput, LocalExecutor
from opsbook.runbook.frontmatter import PER_STEP_SHELL

# `__opsbook_` names keep the driver's variables out of the steps' way.
DRIVER = r"""
set -m
exec {__opsbook_in}<&0 </dev/null
while IFS= read -r -u "$__opsbook_in" -d '' __opsbook_cmd &&
      IFS= read -r -u "$__opsbook_in" -d '' __opsbook_cwd &&
      IFS= read -r -u "$__opsbook_in" -d '' __opsbook_out &&
      IFS= read -r -u "$__opsbook_in" -d '' __opsbook_n; do
  __opsbook_vars=()
  while (( __opsbook_n-- > 0 )); do
    IFS= read -r -u "$__opsbook_in" -d '' __opsbook_kv && __opsbook_vars+=("$__opsbook_kv")
  done
  if (( ${#__opsbook_vars[@]} )); then export -- "${__opsbook_vars[@]}"; fi
  if [[ -n $__opsbook_cwd && $__opsbook_cwd != "$PWD" ]] &&
     ! builtin cd -- "$__opsbook_cwd" 2>/dev/null; then
    printf '=nodir\n'
    continue
  fi
  eval "$__opsbook_cmd" >"$__opsbook_out.out" 2>"$__opsbook_out.err"
  __opsbook_rc=$?
  case $- in *[efux]*) set +efux ;; esac
  if [[ -o pipefail ]]; then set +o pipefail; fi
  jobs -p
  printf '=%d\n' "$__opsbook_rc"
done
"""
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SessionShell:
    """Runs local commands one at a time in a run-long bash; `close()` ends it."""

    def __init__(self, base_env: Mapping[str, str] | None = None, bash: str | None = None):
        self.host = "local"
        self.base_env = dict(os.environ if base_env is None else base_env)
        found = bash or shutil.which("bash")
        if found is None:
            raise FileNotFoundError("bash is not installed")
        self.bash = found
        self.process: asyncio.subprocess.Process | None = None
        # Made with the first shell, so an executor that never runs a step leaves nothing.
        self.workdir: Path | None = None
        # Background jobs the shell reported: spared when a later step is killed.
        self.jobs: set[int] = set()
        self.count = 0
        self.lock = asyncio.Lock()

    async def run(self, spec: CommandSpec) -> CommandResult:
        """Run the command in the session to its end or its timeout; cancelling kills it."""
        bad = [name for name in spec.env if not NAME.fullmatch(name)]
        if bad:
            return CommandResult(None, error=f"not a variable name: {bad[0]!r}")
        async with self.lock:
            return await self._run(spec)

    async def _run(self, spec: CommandSpec) -> CommandResult:
        started = time.monotonic()
        try:
            process = await self._shell()
        except OSError as exc:
            return CommandResult(None, error=f"cannot start bash: {exc.strerror}")
        assert self.workdir is not None
        self.count += 1
        prefix = str(self.workdir / str(self.count))
        fields = [spec.command, spec.cwd or "", prefix, str(len(spec.env))]
        fields += [f"{k}={v}" for k, v in spec.env.items()]
        assert process.stdin is not None
        process.stdin.write(b"".join(f.encode() + b"\0" for f in fields))
        answer = asyncio.ensure_future(self._reply(process))
        try:
            reply = await asyncio.wait_for(asyncio.shield(answer), spec.timeout)
        except TimeoutError:
            await self._stop_step(process, answer)
            out, err = self._output(prefix, spec.output_limit)
            return CommandResult(
                None, out, err, time.monotonic() - started, timed_out=True,
                error=f"timed out after {spec.timeout:g}s; its process tree was killed",
            )  # fmt: skip
        except asyncio.CancelledError:
            await self._stop_step(process, answer)
            self._output(prefix, spec.output_limit)
            raise
        if reply == "nodir":
            where = f"cannot start the command in {spec.cwd}"
            return CommandResult(None, error=f"{where}: no such directory")
        out, err = self._output(prefix, spec.output_limit)
        return CommandResult(int(reply), out, err, time.monotonic() - started)

    async def _shell(self) -> asyncio.subprocess.Process:
        if self.process is not None and self.process.returncode is None:
            return self.process
        self.jobs.clear()
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="opsbook-steps-"))
        self.process = await asyncio.create_subprocess_exec(
            self.bash, "--noprofile", "--norc", "-c", DRIVER,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL, env=self.base_env, start_new_session=True,
        )  # fmt: skip
        return self.process

    async def _reply(self, process: asyncio.subprocess.Process) -> str:
        """Read the shell's background jobs and the step's status; the exit status if it ended."""
        assert process.stdout is not None
        jobs: set[int] = set()
        while line := (await process.stdout.readline()).decode().strip():
            if line.startswith("="):
                self.jobs = jobs
                return line[1:]
            jobs.add(int(line))
        return str(await process.wait())

    async def _stop_step(
        self, process: asyncio.subprocess.Process, answer: asyncio.Future[str]
    ) -> None:
        """Kill the step's process groups and the shell; the next step gets a new shell.

        The shell goes too: it would otherwise go on with the rest of the step's commands.
        """
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for group in _groups_of_session(process.pid) - self.jobs:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(group, sig)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(process.wait()), KILL_GRACE)
                if not _groups_of_session(process.pid) - self.jobs:
                    break
        await process.wait()
        answer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await answer

    def _output(self, prefix: str, limit: int) -> tuple[str, str]:
        texts = []
        for suffix in (".out", ".err"):
            path = prefix + suffix
            try:
                with open(path, "rb") as stream:
                    texts.append(BoundedOutput.read(stream, limit).text())
                os.unlink(path)
            except FileNotFoundError:
                texts.append("")
        return texts[0], texts[1]

    async def close(self) -> None:
        """End the shell (daemons that steps started keep running); remove the output files."""
        process, self.process = self.process, None
        if process is not None and process.returncode is None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), KILL_GRACE)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


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
    settings: Mapping[str, object], base_env: Mapping[str, str] | None = None
) -> Executor:
    """Return the runbook's local executor: one session (the default) or a bash per step."""
    bash = shutil.which("bash")
    if settings.get("shell") == PER_STEP_SHELL or bash is None:
        return LocalExecutor(base_env)
    return SessionShell(base_env, bash)
