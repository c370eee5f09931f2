"""A run's steps die with the opsbook process that drives them.

A step runs in a shell with a session of its own (the session shell, or a bash per step),
so that Ctrl-C and timeouts reach the whole step and nothing else. When opsbook is killed
with -9, no Python runs again: the step would go on to its end unwatched, and `resume`
would run it a second time. Linux' parent-death signal (prctl PR_SET_PDEATHSIG) is no help
on its own: it reaches the shell, not the processes the step started, and it fires when
the thread that started the shell ends, not the process.

So an executor starts one watcher: a small bash in a session of its own, reading a pipe
whose writing end only this process holds (it is close-on-exec, so no child inherits it).
The executor writes a line for each session to kill if it dies (`+SID`), one when a session
is no longer its concern (`-SID`), and the process groups to spare (`=PGID ...`: background
jobs that earlier steps left running on purpose, as a terminal would). A clean end says
`bye`. When the pipe ends without it, this process is gone: the watcher kills each watched
session's own group (the shell, so it starts nothing more), then every other process group
of those sessions but the spared ones, until none is left.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterable

# How long `close` waits for the watcher to read its goodbye and end (it takes a millisecond).
WATCHER_EXIT = 1.0
WATCHER = r"""
declare -A watched=()
spare=" "
while IFS= read -r line; do
  case $line in
    bye) exit 0 ;;
    +*) watched[${line#+}]=1 ;;
    -*) unset "watched[${line#-}]" ;;
    =*) spare=" ${line#=} " ;;
  esac
done
(( ${#watched[@]} )) || exit 0
for sid in "${!watched[@]}"; do kill -KILL -- "-$sid" 2>/dev/null; done
for pass in 1 2 3 4 5 6 7 8; do
  found=
  for stat in /proc/[0-9]*/stat; do
    IFS= read -r fields 2>/dev/null <"$stat" || continue
    fields=(${fields##*) })  # after the command name: state ppid pgrp session ...
    [[ ${watched[${fields[3]}]} && $spare != *" ${fields[2]} "* ]] || continue
    kill -KILL -- "-${fields[2]}" 2>/dev/null && found=1
  done
  [[ $found ]] || break
done
"""


class Lifeline:
    """The watcher of one executor's shells; started on the first `watch`."""

    def __init__(self, bash: str) -> None:
        self.bash = bash
        self.process: subprocess.Popen[bytes] | None = None
        self.pipe: int | None = None
        self.sessions: set[int] = set()
        self.spared: frozenset[int] = frozenset()

    def watch(self, session: int) -> None:
        """Kill this session's processes if this process dies."""
        self.sessions.add(session)
        self._say(f"+{session}\n")

    def forget(self, session: int) -> None:
        """Leave the session alone from now on (its shell ended; what is left was meant to)."""
        if session in self.sessions:
            self.sessions.discard(session)
            self._say(f"-{session}\n")

    def spare(self, groups: Iterable[int]) -> None:
        """Spare these process groups (background jobs started on purpose) if this dies."""
        spared = frozenset(groups)
        if spared != self.spared:
            self.spared = spared
            self._say(self._spare_line())

    def close(self) -> None:
        """Say goodbye: the watcher ends and kills nothing."""
        pipe, self.pipe = self.pipe, None
        if pipe is not None:
            with contextlib.suppress(OSError):
                os.write(pipe, b"bye\n")
            os.close(pipe)
        if self.process is not None:
            # It ends as soon as it reads the goodbye; reap it rather than leave a zombie.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(WATCHER_EXIT)
            self.process = None
        self.sessions.clear()

    def _spare_line(self) -> str:
        return "=" + " ".join(str(g) for g in sorted(self.spared)) + "\n"

    def _say(self, line: str) -> None:
        if self.pipe is None and not self.sessions:
            return  # nothing to watch yet: no watcher either
        if self.pipe is not None:
            try:
                os.write(self.pipe, line.encode())
                return
            except OSError:
                pass  # the watcher died: start another that knows everything
        # Without a watcher the run still goes on, as it did before there was one.
        with contextlib.suppress(OSError):
            self._start()

    def _start(self) -> None:
        """Start a watcher and tell it every session and spared group at once."""
        if self.pipe is not None:
            os.close(self.pipe)
        read_end, self.pipe = os.pipe()
        try:
            self.process = subprocess.Popen(
                [self.bash, "--noprofile", "--norc", "-c", WATCHER, "opsbook-lifeline"],
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            os.close(read_end)
        state = "".join(f"+{s}\n" for s in sorted(self.sessions)) + self._spare_line()
        os.write(self.pipe, state.encode())
