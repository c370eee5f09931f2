"""When a process started, in seconds since the epoch, as psutil's `create_time()` says.

`opsbook run` records its own start time so that a later `resume` can tell whether the
run's process is still alive. Importing psutil for that one figure costs more than the rest
of a short run's bookkeeping, so on Linux it is read from /proc the way psutil reads it.
"""

from __future__ import annotations

import os


def process_started(pid: int) -> float:
    """Return the start time of process `pid`: /proc on Linux, psutil elsewhere."""
    try:
        return _from_proc(pid)
    except (OSError, ValueError, IndexError, StopIteration):
        # lazy: keeps psutil off the start-up of a plain `opsbook run`
        import psutil

        return float(psutil.Process(pid).create_time())


def _from_proc(pid: int) -> float:
    with open(f"/proc/{pid}/stat", "rb") as stat:
        # The command name (field 2) may hold spaces and parentheses: split after its end.
        fields = stat.read().rpartition(b")")[2].split()
    ticks = float(fields[19])  # field 22, starttime: clock ticks after boot
    with open("/proc/stat", "rb") as system:
        boot = next(float(line.split()[1]) for line in system if line.startswith(b"btime"))
    return ticks / os.sysconf("SC_CLK_TCK") + boot
