"""The wire of a run-long shell on a host over SSH: what is sent, and how replies are read.

Pure: no connections, no I/O. `ssh_session.py` moves these bytes over one SSH channel.

The command line sshd hands to the user's login shell (`command_line`) is `bash -c` and
the run's script (`SCRIPT`): it makes private files for the steps' output, starts a
copier that passes the channel's stdin on, and reads requests. It is the same for every
run (no value, no secret: the end mark and every request come on stdin). Every program
it starts counts on a fleet, so it starts few: none but the steps' own for a step whose
output is short, and rm at the end. A host without bash answers 127 at once.

The user's start-up files: the login shell that runs the command line reads what it reads
for any `ssh host command` (bash: ~/.bashrc), once per channel; the run's bash starts with
`--noprofile --norc`, or as a login shell (/etc/profile, ~/.bash_profile or ~/.profile)
when the front matter says `ssh: {login: true}`. One channel serves the whole run, so
they run once per host per run (again only after a step ended the shell, or timed out).

Requests are the local session's (`session_wire.encode_request`: NUL-ended fields, checked
on both ends, the last one marked with a random end mark the shell reads first); the
prefix field carries `/CAP`, how many bytes of each end of a big output to send back.
Replies are the local session's too (job ids, `=status`), followed for a step that ran by
two output frames, stdout then stderr: a line with the output's size, then the output
whole if it is at most 2 x CAP bytes, else its first and its last CAP bytes.

When the channel's input ends (the run closed the connection, or a timeout, or the
connection dropped, or opsbook was killed) the copier closes the shell's requests. A shell
between steps ends on its own, and what the steps started keeps running; a shell still in
a step after half a second is stopped, with every process group the step started in this
SSH session (TERM, then KILL two seconds later), sparing background jobs the steps left
(daemons, as `jobs -p` reported them). So a timed-out step, or a crashed opsbook, leaves
nothing running that a step did not mean to.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from opsbook.procedures.executors.session_wire import (
    JOB_LINE,
    PARTIAL_LINE,
    READ_REQUEST,
    MalformedReply,
    Reply,
    encode_request,
)

# bash, the run's shell on the host; `__opsbook_` names keep its variables out of the
# steps' way. Its stdin is the channel's: a copier (a subshell, `<(...)`) passes the
# requests on and notices when the channel's input ends. Only this shell holds the
# channel's stdout, so when it ends the run sees the end of its output.
SCRIPT = r"""
# This shell's files: NAME.jobs and a pair per step, in $TMPDIR, readable by this user
# only and made with O_EXCL (set -C) under names nobody can guess, so no one else's file
# is ever used. (No mktemp: a program less per host.)
__opsbook_umask=$(umask)
__opsbook_new() {
  local c=$- i
  umask 077
  set -C
  for i in 1 2 3; do
    __opsbook_name=$1-${SRANDOM:-$RANDOM$RANDOM}
    if eval "$2"; then break; fi
    __opsbook_name=
  done 2>/dev/null
  [[ $c == *C* ]] || set +C
  umask "$__opsbook_umask"
  [[ -n $__opsbook_name ]]
}
__opsbook_new "${TMPDIR:-/tmp}/opsbook-$$" ': >"$__opsbook_name.jobs"' ||
  { echo =notemp; exit 125; }
__opsbook_dir=$__opsbook_name
# The process groups in this SSH session that the steps started, but the jobs to spare.
# The session is the channel's own when this shell leads it (sshd starts each channel in
# a new session, and sh, bash, zsh and ksh exec the command); else only this shell's
# children are the steps'.
__opsbook_groups() {
  local l f stat
  declare -A seen=()
  for f in /proc/[0-9]*/stat; do
    IFS= read -r l <"$f" 2>/dev/null || continue
    stat=(${l##*) })
    [[ ${stat[2]} != "$__opsbook_own" ]] || continue
    [[ $__opsbook_sid == "$$" && ${stat[3]} == "$__opsbook_sid" || ${stat[1]} == "$$" ]] ||
      continue
    [[ $__opsbook_spare == *" ${stat[2]} "* || -n ${seen[${stat[2]}]} ]] && continue
    seen[${stat[2]}]=1
    echo "${stat[2]}"
  done
}
# __opsbook_gone CONDITION TRIES PAUSE: wait until CONDITION fails; say if it did in time.
__opsbook_gone() {
  local n=$2
  while (( n-- > 0 )); do eval "$1" || return 0; sleep "$3"; done
  return 1
}
# Whether process $1 (this shell) still runs. A zombie does not: when the connection
# drops, sshd may end before this shell, which then waits for an init that can be slow to
# reap it, and `kill -0` would call it alive (on a 200-host run that sent every copier
# into the stop below, scanning /proc again and again).
__opsbook_alive() {
  local l
  { IFS= read -r l </proc/$1/stat; } 2>/dev/null || { kill -0 "$1"; return; } 2>/dev/null
  l=(${l##*) })
  [[ ${l[0]} != [ZX] ]]
}
# The channel's input ended. Between steps (the run closed it, or died) the shell ends
# on its own and what the steps started keeps running. In a step (a timeout, a dropped
# connection, a killed opsbook), stop the step's processes, then this shell.
__opsbook_stop() {
  exec >&-
  __opsbook_gone "__opsbook_alive $$" 10 0.05 && { rm -f -- "$__opsbook_dir".*; return; }
  local l s g
  IFS= read -r l </proc/$$/stat
  l=(${l##*) })
  __opsbook_sid=${l[3]} __opsbook_own=${l[2]}
  # The jobs earlier steps left running; read before the shell's last reply rewrites them.
  __opsbook_spare=" $(<"$__opsbook_dir.jobs") " 2>/dev/null
  __opsbook_spare=${__opsbook_spare//$'\n'/ }
  kill -s USR1 $$ 2>/dev/null
  for s in TERM KILL; do
    for g in $(__opsbook_groups); do kill -s "$s" -- "-$g" 2>/dev/null; done
    __opsbook_gone '[[ -n $(__opsbook_groups) ]]' 10 0.2 && break
  done
  for s in TERM KILL; do
    __opsbook_gone "__opsbook_alive $$" 20 0.05 && break
    kill -s "$s" $$ 2>/dev/null
  done
  rm -f -- "$__opsbook_dir".*
}
exec 2>/dev/null 4<&0 </dev/null
exec {__opsbook_in}< <(
  while IFS= read -r -d '' __opsbook_f <&4; do printf '%s\0' "$__opsbook_f"; done
  __opsbook_stop
)
exec 4<&-
set -m
IFS= read -r -u "$__opsbook_in" -d '' __opsbook_end || exit 125
# Each step starts in its cwd=, else where sshd started the shell (the user's home).
__opsbook_home=$PWD
__opsbook_k=0
__opsbook_o=
# How many bytes went through the step's descriptor $1 (its offset; Linux /proc), else
# how big file $2 is. No program is started for it: on a fleet every process counts.
__opsbook_size() {
  local k v
  while read -r k v; do
    if [[ $k == pos: ]]; then __opsbook_bytes=$v; return; fi
  done <"/proc/$$/fdinfo/$1" 2>/dev/null
  __opsbook_bytes=$(wc -c <"$2")
  __opsbook_bytes=${__opsbook_bytes//[!0-9]/}
}
# One output frame: the size, then the bytes, whole or `cap` from each end. dd pads a
# short read with NULs, so that the frame holds even if a step truncated its own output
# (`> /dev/stdout`).
__opsbook_frame() {
  __opsbook_size "$1" "$2"
  if [[ ! -s $2 ]]; then __opsbook_bytes=0; fi
  printf '%d\n' "$__opsbook_bytes"
  if (( __opsbook_bytes == 0 )); then return; fi
  # A short output without NULs (most are) is read by the shell itself; no program.
  if (( __opsbook_bytes <= 4096 )); then
    local LC_ALL=C __opsbook_text
    IFS= read -r -d '' -N "$__opsbook_bytes" __opsbook_text <"$2"
    if (( ${#__opsbook_text} == __opsbook_bytes )); then
      printf '%s' "$__opsbook_text"
      return
    fi
  fi
  if (( __opsbook_bytes <= 2 * __opsbook_cap )); then
    dd if="$2" bs="$__opsbook_bytes" count=1 iflag=fullblock conv=sync status=none
  else
    dd if="$2" bs="$__opsbook_cap" count=1 iflag=fullblock conv=sync status=none
    dd if="$2" bs="$__opsbook_cap" count=1 skip="$((__opsbook_bytes - __opsbook_cap))" \
      iflag=skip_bytes,fullblock conv=sync status=none
    rm -f -- "$2"
  fi
}
# Reply to a step: its background jobs, `=STATUS` (`=eSTATUS` when the step ended the
# shell), then the frames of its stdout and of its stderr.
__opsbook_send() {
  jobs -p >|"$__opsbook_dir.jobs"
  while IFS= read -r __opsbook_j; do printf '%s\n' "$__opsbook_j"; done <"$__opsbook_dir.jobs"
  printf '=%s%d\n' "$2" "$1"
  __opsbook_frame "$__opsbook_fo" "$__opsbook_o.out"
  __opsbook_frame "$__opsbook_fe" "$__opsbook_o.err"
  exec {__opsbook_fo}>&- {__opsbook_fe}>&-
  __opsbook_o=
}
# A step that ends the shell (`exit 3`, a failure under `set -e`) is still answered. On a
# timeout the copier sends USR1 before it stops the step's processes: the shell ends
# after the command it is in, rather than going on with the rest of the step.
__opsbook_ended() {
  set +efux +o pipefail
  if [[ -n $__opsbook_o ]]; then __opsbook_send "$1" e; fi
}
trap '__opsbook_ended "$?"' EXIT
trap 'exit 124' USR1
READ_REQUEST_HERE
  __opsbook_cap=${__opsbook_out#"$__opsbook_end"/}
  if [[ ! $__opsbook_cap =~ ^[1-9][0-9]{0,9}$ ]]; then printf '=badrequest\n'; exit 125; fi
  if (( ${#__opsbook_vars[@]} )); then export -- "${__opsbook_vars[@]}"; fi
  __opsbook_cwd=${__opsbook_cwd:-$__opsbook_home}
  if [[ $__opsbook_cwd != "$PWD" ]] &&
     ! builtin cd -- "$__opsbook_cwd" 2>/dev/null; then
    printf '=nodir\n'
    continue
  fi
  __opsbook_k=$((__opsbook_k + 1))
  # The step's output goes to files of its own (a daemon it starts may hold them open);
  # small ones stay until the run ends, removing each would cost a program per step.
  if ! __opsbook_new "$__opsbook_dir.$__opsbook_k" \
    'exec {__opsbook_fo}>"$__opsbook_name.out" {__opsbook_fe}>"$__opsbook_name.err"'; then
    printf '=notemp\n'
    continue
  fi
  __opsbook_o=$__opsbook_name
  eval "$__opsbook_cmd" >&"$__opsbook_fo" 2>&"$__opsbook_fe"
  __opsbook_rc=$?
  case $- in *[efux]*) set +efux ;; esac
  if [[ -o pipefail ]]; then set +o pipefail; fi
  __opsbook_send "$__opsbook_rc" ""
done
""".replace("READ_REQUEST_HERE\n", READ_REQUEST.lstrip("\n"))
LOGIN_SHELL = "--login --norc"
PLAIN_SHELL = "--noprofile --norc"
# What a POSIX shell answers for a program it cannot find.
NOT_FOUND = 127
NO_TEMP = "notemp"
# A status: the step's exit status (`e` first when the step ended the shell), a step that
# could not start, or what the stage script says when it cannot start the shell.
STATUS_LINE = re.compile(rb"=(?:e?[0-9]{1,3}|nodir|badrequest|notemp)")
# One frame's size line: up to 20 digits.
_SIZE = re.compile(rb"[0-9]{1,20}")


def compact(script: str) -> str:
    """Return a script without its comment lines, indentation and long names."""
    lines = (line.strip() for line in script.splitlines())
    kept = [line for line in lines if line and not line.startswith("#")]
    return "\n".join(kept).replace("__opsbook_", "__ob_") + "\n"


def shell_options(login: bool) -> str:
    """Return how the run's bash starts: as a login shell or not, never reading ~/.bashrc."""
    return LOGIN_SHELL if login else PLAIN_SHELL


def command_line(login: bool) -> str:
    """Return the command sshd hands to the user's login shell: bash and the run's script.

    Quoted the POSIX way (`'...'\\''...'`), which sh, bash, zsh, ksh and fish all read.
    It holds no value and no secret; the end mark and every request come on stdin.
    """
    return f"bash {shell_options(login)} -c {shlex.quote(compact(SCRIPT))}"


def start_of_run(end: str) -> bytes:
    """Return the field the driver reads before any request: the end mark."""
    return end.encode() + b"\0"


def encode_step(command: str, cwd: str | None, env: dict[str, str], end: str, cap: int) -> bytes:
    """Return one step's request (raises session_wire.WireError for what cannot be sent)."""
    return encode_request(command, cwd, f"/{cap}", env, end)


@dataclass(frozen=True)
class Output:
    """One stream of a step: its size, and its bytes (whole, or `cap` from each end)."""

    size: int
    head: bytes
    tail: bytes

    @property
    def whole(self) -> bool:
        return not self.tail


@dataclass(frozen=True)
class StepReply:
    """The driver's answer to a step: status, background jobs, and (if it ran) output."""

    reply: Reply
    stdout: Output | None
    stderr: Output | None


class StepReplyReader:
    """Collects what the remote shell writes until a whole step reply (and frames) came.

    >>> reader = StepReplyReader(cap=4)
    >>> reader.feed(b"=0\\n3\\nhi\\n0\\n").stdout
    Output(size=3, head=b'hi\\n', tail=b'')
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.buffer = b""
        self.reply: Reply | None = None
        self.frames: list[Output] = []
        # Job lines come before the status, perhaps in an earlier chunk.
        self.jobs: list[int] = []

    def feed(self, data: bytes) -> StepReply | None:
        """Add what came; return the step's reply once it and its output frames are whole.

        Raises MalformedReply as soon as what came cannot be a reply.
        """
        self.buffer += data
        if self.reply is None:
            self.reply = self._reply()
            if self.reply is None:
                return None
            if not self.reply.status.lstrip("e").isdigit():  # nodir, nobash...: no output
                return StepReply(self.reply, None, None)
        while len(self.frames) < 2:
            frame = self._frame()
            if frame is None:
                return None
            self.frames.append(frame)
        if self.buffer:
            raise MalformedReply(f"the remote shell wrote {self.buffer[:80]!r} after a reply")
        return StepReply(self.reply, self.frames[0], self.frames[1])

    def _reply(self) -> Reply | None:
        jobs = self.jobs
        while b"\n" in self.buffer:
            line, _, rest = self.buffer.partition(b"\n")
            if STATUS_LINE.fullmatch(line):
                self.buffer = rest
                return Reply(line[1:].decode(), frozenset(jobs))
            if not JOB_LINE.fullmatch(line):
                raise MalformedReply(f"the remote shell wrote {line[:80]!r}, not a reply")
            jobs.append(int(line))
            self.buffer = rest
        if not PARTIAL_LINE.fullmatch(self.buffer):
            raise MalformedReply(f"the remote shell wrote {self.buffer[:80]!r}, not a reply")
        return None

    def _frame(self) -> Output | None:
        line, found, rest = self.buffer.partition(b"\n")
        if not found:
            if len(self.buffer) > 20 or not (self.buffer.isdigit() or not self.buffer):
                raise MalformedReply(f"the remote shell wrote {self.buffer[:80]!r}, not a size")
            return None
        if not _SIZE.fullmatch(line):
            raise MalformedReply(f"the remote shell wrote {line[:80]!r}, not a size")
        size = int(line)
        sent = size if size <= 2 * self.cap else 2 * self.cap
        if len(rest) < sent:
            return None
        self.buffer = rest[sent:]
        if size <= 2 * self.cap:
            return Output(size, rest[:size], b"")
        return Output(size, rest[: self.cap], rest[self.cap : sent])
