"""The wire between a run and its session bash: the driver script, requests and replies.

Pure: no processes, no I/O. `session_shell.py` moves these bytes.

Requests go to the shell's stdin (moved to a spare descriptor at once, so that steps read
/dev/null, not the next request): NUL-terminated fields `command, cwd, output-prefix, N`
and then N `NAME=VALUE` fields. Values are data: `export -- "$kv"` assigns without
evaluating, and names are checked first (`shellvars.is_variable_name`). Replies come on
the shell's stdout: the process ids of its background jobs (`jobs -p`, usually none), then
`=` and the exit status (or `=nodir` when the step's directory is missing). Each step's
output goes to two files, `PREFIX.out` and `PREFIX.err`, read when it ends: a daemon that
keeps them open holds nothing up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from opsbook.runbook.record import Record

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
NO_DIRECTORY = "nodir"


def encode_request(command: str, cwd: str | None, prefix: str, env: Mapping[str, str]) -> bytes:
    """Return one step's request: its fields, each ended by a NUL."""
    fields = [command, cwd or "", prefix, str(len(env))]
    fields += [f"{k}={v}" for k, v in env.items()]
    return b"".join(f.encode() + b"\0" for f in fields)


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
        """Add what the shell wrote; return the reply once its status line is complete."""
        self.buffer += data
        if not self.buffer.endswith(b"\n"):
            return None
        lines = self.buffer.decode().split("\n")[:-1]
        if not lines[-1].startswith("="):
            return None
        self.buffer = b""
        return Reply(lines[-1][1:], frozenset(int(line) for line in lines[:-1] if line.strip()))
