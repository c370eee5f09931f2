"""The wire between a run and its session bash: the driver script, requests and replies.

Pure: no processes, no I/O. `session_shell.py` moves these bytes.

Requests go to the shell's stdin (moved to a spare descriptor at once, so that steps read
/dev/null, not the next request): NUL-terminated fields `command, cwd, N`, then N
`NAME=VALUE` fields, then the output prefix behind the session's end mark. Values are
data: `export -- "$kv"` assigns without evaluating, and names are checked first
(`shellvars.is_variable_name`).

A field cannot carry a NUL, so the framing is checked on both ends: `encode_request`
refuses a field with a NUL in it (and text that is not valid Unicode), and the driver
reads a whole request before it does anything with it, checks that N is a small decimal
number and that the field after the N variables begins with the end mark (random per
shell, given as its first argument). A request that does not frame exactly is answered
`=badrequest` and the shell exits: nothing of it is exported or evaluated. (The mark rides
on the last field rather than in one of its own: a `read` more per step costs bash more
than the rest of the check.)

Replies come on the shell's stdout: the process ids of its background jobs (`jobs -p`,
usually none), then `=` and the exit status (or `=nodir` when the step's directory is
missing). Each step's output goes to two files, `PREFIX.out` and `PREFIX.err`, read when
it ends: a daemon that keeps them open holds nothing up. `ReplyReader` accepts exactly
those lines and raises `MalformedReply` on anything else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from opsbook.inputs import text_problem
from opsbook.runbook.record import Record

# One request, read whole before anything of it is used: the command, the cwd, the
# variables into `__opsbook_vars`, and the marked last field into `__opsbook_out`, or
# `=badrequest` and the end. The SSH session's driver (`ssh_session_wire.py`) reads its
# requests with these same lines.
READ_REQUEST = r"""
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
  if ! IFS= read -r -u "$__opsbook_in" -d '' __opsbook_out ||
     [[ $__opsbook_out != "$__opsbook_end"/* ]]; then
    printf '=badrequest\n'
    exit 125
  fi
"""

# `__opsbook_` names keep the driver's variables out of the steps' way.
DRIVER = r"""
set -m
__opsbook_end=$1
set --
exec {__opsbook_in}<&0 </dev/null
READ_REQUEST_HERE
  __opsbook_out=${__opsbook_out#"$__opsbook_end"}
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
""".replace("READ_REQUEST_HERE\n", READ_REQUEST.lstrip("\n"))
NO_DIRECTORY = "nodir"
BAD_REQUEST = "badrequest"
# The most variables one request may carry (the driver reads at most four digits).
MAX_VARIABLES = 9999
# A reply is a few short lines; more than this without one is not a reply.
MAX_REPLY = 64 * 1024
FIELDS = ("the command", "the cwd", "the variable count")
JOB_LINE = re.compile(rb"[0-9]{1,10}")
STATUS_LINE = re.compile(rb"=(?:[0-9]{1,3}|nodir|badrequest)")
# What may stand before a reply line's end: the start of a job's id or of a status.
PARTIAL_LINE = re.compile(rb"[0-9]{0,10}|=[0-9a-z]{0,10}")


class WireError(ValueError):
    """A request the wire cannot carry exactly; the message says which field and why."""


class MalformedReply(ValueError):
    """The shell wrote something that is not a reply; the message quotes the start of it."""


def encode_request(
    command: str, cwd: str | None, prefix: str, env: Mapping[str, str], end: str
) -> bytes:
    """Return one step's request: its fields, each ended by a NUL, the last one marked.

    Raises WireError when a field holds a NUL or text that is not valid Unicode: it would
    shift every field after it.
    """
    if len(env) > MAX_VARIABLES:
        raise WireError(f"{len(env)} variables; at most {MAX_VARIABLES} fit in one request")
    fields = [command, cwd or "", str(len(env))]
    fields += [f"{k}={v}" for k, v in env.items()]
    fields.append(end + prefix)
    try:
        data = "\0".join(fields).encode() + b"\0"
    except UnicodeEncodeError:
        data = b""
    if data.count(b"\0") != len(fields):  # the fast path found a problem: say which field
        for index, field in enumerate(fields):
            problem = text_problem(field)
            if problem is not None:
                name = FIELDS[index] if index < len(FIELDS) else "variable " + field.split("=")[0]
                name = "the output prefix" if index == len(fields) - 1 else name
                raise WireError(f"{name} {problem}; it cannot be sent to the shell")
        raise WireError("a field cannot be sent to the shell")
    return data


@dataclass(frozen=True, eq=False, repr=False)
class Reply(Record):
    """The shell's answer to a request: the step's status and its background jobs."""

    status: str
    jobs: frozenset[int]


class ReplyReader:
    """Collects the shell's output until a whole reply has come.

    >>> reader = ReplyReader()
    >>> reader.feed(b"4242\\n=")
    >>> reader.feed(b"0\\n")
    Reply(status='0', jobs=frozenset({4242}))
    """

    def __init__(self) -> None:
        self.buffer = b""

    def feed(self, data: bytes) -> Reply | None:
        """Add what the shell wrote; return the reply once its status line is complete.

        Raises MalformedReply as soon as a line is neither a job's process id nor a status.
        """
        self.buffer += data
        *lines, rest = self.buffer.split(b"\n")
        for index, line in enumerate(lines):
            last = index == len(lines) - 1 and not rest
            if not (JOB_LINE.fullmatch(line) or (STATUS_LINE.fullmatch(line) and last)):
                raise MalformedReply(f"the session shell wrote {line[:80]!r}, not a reply")
        if len(self.buffer) > MAX_REPLY or not PARTIAL_LINE.fullmatch(rest):
            raise MalformedReply(f"the session shell wrote {rest[:80]!r}, not a reply")
        if rest or not lines or not lines[-1].startswith(b"="):
            return None
        self.buffer = b""
        jobs = frozenset(int(line) for line in lines[:-1])
        return Reply(lines[-1][1:].decode(), jobs)
