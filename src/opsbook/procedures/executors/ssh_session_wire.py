"""The wire of a run-long shell on a host over SSH: what is sent, and how replies are read.

Pure: no connections, no I/O. `ssh_session.py` moves these bytes over one SSH channel.

The command line sshd hands to the user's login shell (`command_line`) is `sh -c` and the
stage script: it makes a private directory for the steps' output and starts the run's
bash with `DRIVER`, fed by a `cat` of the channel's stdin. It is the same for every run
(no value, no secret: the end mark and every request come on stdin), and long (a few
KiB) rather than read from stdin a byte at a time, which cost more on a fleet.

The user's start-up files: the login shell that runs the command line reads what it reads
for any `ssh host command` (bash: ~/.bashrc), once per channel; the run's bash starts with
`--noprofile --norc`, or as a login shell (/etc/profile, ~/.bash_profile or ~/.profile)
when the front matter says `ssh: {login: true}`. One channel serves the whole run, so
they run once per host per run (again only after a step ended the shell, or timed out).

Requests are the local session's (`session_wire.encode_request`: NUL-ended fields, checked
on both ends, the last one marked with a random end mark the driver reads first); the
prefix field carries `/CAP`, how many bytes of each end of a big output to send back.
Replies are the local session's too (job ids, `=status`), followed for a step that ran by
two output frames, stdout then stderr: a line with the output's size, then the output
whole if it is at most 2 x CAP bytes, else its first and its last CAP bytes.

When the channel's stdin ends (the run closed it, a timeout, the connection dropped) the
`cat` ends and the stage script cleans up: after a clean end (the driver read the run's
goodbye, `encode_bye`) it only removes the directory; otherwise it stops every process
group the steps started in this SSH session (TERM, then KILL two seconds later), sparing
background jobs the steps left (daemons, as `jobs -p` reported them), then the shell
itself if it is still busy. So a
timed-out step, or a crashed opsbook, leaves nothing running that a step did not mean to.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from opsbook.procedures.executors.session_wire import (
    JOB_LINE,
    PARTIAL_LINE,
    MalformedReply,
    Reply,
    encode_request,
)

# bash; `__opsbook_` names keep the driver's variables out of the steps' way.
DRIVER = r"""
set -m
__opsbook_dir=$1
set --
exec {__opsbook_in}<&0 </dev/null
IFS= read -r -u "$__opsbook_in" -d '' __opsbook_end || exit 125
printf '%d\n' "$$" >|"$__opsbook_dir/pid"
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
  jobs -p >|"$__opsbook_dir/jobs"
  while IFS= read -r __opsbook_j; do printf '%s\n' "$__opsbook_j"; done <"$__opsbook_dir/jobs"
  printf '=%s%d\n' "$2" "$1"
  __opsbook_frame "$__opsbook_fo" "$__opsbook_o.out"
  __opsbook_frame "$__opsbook_fe" "$__opsbook_o.err"
  exec {__opsbook_fo}>&- {__opsbook_fe}>&-
  __opsbook_o=
}
# A step that ends the shell (`exit 3`, a failure under `set -e`) is still answered. On a
# timeout the host's side sends USR1 before it stops the step's processes: the shell ends
# after the command it is in, rather than going on with the rest of the step.
__opsbook_ended() {
  set +efux +o pipefail
  if [[ -n $__opsbook_o ]]; then __opsbook_send "$1" e; fi
}
trap '__opsbook_ended "$?"' EXIT
trap 'exit 124' USR1
while IFS= read -r -u "$__opsbook_in" -d '' __opsbook_cmd &&
      IFS= read -r -u "$__opsbook_in" -d '' __opsbook_cwd &&
      IFS= read -r -u "$__opsbook_in" -d '' __opsbook_n; do
  case $__opsbook_n in
    [0-9] | [1-9][0-9] | [1-9][0-9][0-9] | [1-9][0-9][0-9][0-9]) ;;
    *) printf '=badrequest\n'; exit 125 ;;
  esac
  __opsbook_vars=()
  while (( __opsbook_n-- > 0 )); do
    IFS= read -r -u "$__opsbook_in" -d '' __opsbook_kv && __opsbook_vars+=("$__opsbook_kv")
  done
  if ! IFS= read -r -u "$__opsbook_in" -d '' __opsbook_cap ||
     [[ $__opsbook_cap != "$__opsbook_end"/* ]]; then
    printf '=badrequest\n'
    exit 125
  fi
  __opsbook_cap=${__opsbook_cap#"$__opsbook_end"/}
  if [[ ! $__opsbook_cap =~ ^[1-9][0-9]{0,9}$ ]]; then printf '=badrequest\n'; exit 125; fi
  if [[ $__opsbook_cmd == "$__opsbook_end" ]]; then
    printf 'done\n' >>"$__opsbook_dir/pid"
    printf '=bye\n'
    exit 0
  fi
  if (( ${#__opsbook_vars[@]} )); then export -- "${__opsbook_vars[@]}"; fi
  __opsbook_cwd=${__opsbook_cwd:-$__opsbook_home}
  if [[ $__opsbook_cwd != "$PWD" ]] &&
     ! builtin cd -- "$__opsbook_cwd" 2>/dev/null; then
    printf '=nodir\n'
    continue
  fi
  __opsbook_k=$((__opsbook_k + 1))
  __opsbook_o=$__opsbook_dir/$__opsbook_k
  # The step's output goes to files of its own (a daemon it starts may hold them open);
  # small ones stay until the run ends, removing each would cost a program per step.
  exec {__opsbook_fo}>|"$__opsbook_o.out" {__opsbook_fe}>|"$__opsbook_o.err"
  eval "$__opsbook_cmd" >&"$__opsbook_fo" 2>&"$__opsbook_fe"
  __opsbook_rc=$?
  case $- in *[efux]*) set +efux ;; esac
  if [[ -o pipefail ]]; then set +o pipefail; fi
  __opsbook_send "$__opsbook_rc" ""
done
"""

# POSIX sh, the command line's script. fd 3 is the channel's stdout, kept for the
# driver alone: when the driver ends, its output ends, whatever else still runs.
STAGE = r"""
d=$(mktemp -d "${TMPDIR:-/tmp}/opsbook-steps-XXXXXXXX" 2>/dev/null) || { echo =notemp; exit 125; }
command -v bash >/dev/null 2>&1 || { rm -rf "$d"; echo =nobash; exit 125; }
step_groups() {
  for f in /proc/[0-9]*/stat; do
    IFS= read -r l <"$f" 2>/dev/null || continue
    set -- ${l##*) }
    [ "$4" = "$sid" ] && [ "$3" != "$own" ] || continue
    case $spare in *" $3 "*) continue ;; esac
    echo "$3"
  done | sort -u
}
# gone CONDITION TRIES PAUSE: wait until CONDITION fails; say whether it did in time.
gone() {
  n=$2
  while [ "$n" -gt 0 ]; do eval "$1" || return 0; sleep "$3"; n=$((n - 1)); done
  return 1
}
alive() { [ -n "$(step_groups)" ]; }
stop() {
  exec >&-
  # The driver ends by itself at a goodbye, or when its input ends between steps.
  IFS= read -r p <"$d/pid" 2>/dev/null
  gone "kill -0 $p 2>/dev/null" 20 0.05
  { IFS= read -r p; IFS= read -r state; } <"$d/pid" 2>/dev/null
  if [ "$state" != done ]; then
    IFS= read -r l </proc/$$/stat
    set -- ${l##*) }
    sid=$4 own=$3
    # The jobs earlier steps left running; read before the shell's last reply rewrites them.
    spare=" $(tr "\n" " " <"$d/jobs" 2>/dev/null) "
    kill -s USR1 "$p" 2>/dev/null
    for s in TERM KILL; do
      for g in $(step_groups); do kill -s "$s" -- "-$g" 2>/dev/null; done
      gone alive 10 0.2 && break
    done
    for s in TERM KILL; do
      gone "kill -0 $p 2>/dev/null" 20 0.05 && break
      kill -s "$s" "$p" 2>/dev/null
    done
  fi
  rm -rf "$d"
}
exec 3>&1 4<&0 >/dev/null 2>&1
{ exec 3>&-; cat <&4; exec 4<&-; stop; } |
  bash LOGIN -c "$DRIVER" opsbook-session "$d" >&3 2>/dev/null 3>&- 4<&- &
exec 3>&- 4<&-
wait "$!"
r=$?
wait
exit "$r"
"""
LOGIN_SHELL = "--login --norc"
PLAIN_SHELL = "--noprofile --norc"
NO_BASH = "nobash"
NO_TEMP = "notemp"
# A status: the step's exit status (`e` first when the step ended the shell), a step that
# could not start, or what the stage script says when it cannot start the shell.
STATUS_LINE = re.compile(rb"=(?:e?[0-9]{1,3}|nodir|badrequest|nobash|notemp|bye)")
BYE = "bye"
# One frame's size line: up to 20 digits.
_SIZE = re.compile(rb"[0-9]{1,20}")


def compact(script: str) -> str:
    """Return a script without its comment lines, indentation and long names."""
    lines = (line.strip() for line in script.splitlines())
    kept = [line for line in lines if line and not line.startswith("#")]
    return "\n".join(kept).replace("__opsbook_", "__ob_") + "\n"


def command_line(login: bool) -> str:
    """Return the command sshd hands to the user's login shell: the stage script for sh.

    Quoted the POSIX way (`'...'\\''...'`), which sh, bash, zsh, ksh and fish all read.
    It holds no value and no secret; the end mark and every request come on stdin.
    """
    body = compact(STAGE.replace("LOGIN", LOGIN_SHELL if login else PLAIN_SHELL))
    return "sh -c " + shlex.quote(f"DRIVER={shlex.quote(compact(DRIVER))}\n{body}")


def start_of_run(end: str) -> bytes:
    """Return the field the driver reads before any request: the end mark."""
    return end.encode() + b"\0"


def encode_step(command: str, cwd: str | None, env: dict[str, str], end: str, cap: int) -> bytes:
    """Return one step's request (raises session_wire.WireError for what cannot be sent)."""
    return encode_request(command, cwd, f"/{cap}", env, end)


def encode_bye(end: str) -> bytes:
    """Return the request that ends the shell cleanly: daemons the steps started live on."""
    return encode_request(end, None, "/1", {}, end)


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
