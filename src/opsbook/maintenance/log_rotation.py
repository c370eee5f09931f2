"""Rotate log files by size or age, compressed, without losing a line.

Never copy-then-truncate (lines written between the copy and the truncate are lost).
Instead, as logrotate's default: rename `app.log` to `app.log.1` (a writer holding it open
goes on writing into the renamed file, so nothing is lost), run the reopen command if the
row names one (`kill -HUP $(cat app.pid)`), wait until the renamed file has been quiet for
a moment (the writer has moved to a new `app.log`), and only then compress it. The
compressed copy is checked against the file before the file is removed: if a writer still
wrote to it, the file is kept uncompressed and the run says so, never dropping its tail.
Older copies shift up: `app.log.1.gz` becomes `app.log.2.gz`, beyond `keep` removed.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from opsbook.maintenance.tasks import TaskSpec
from opsbook.maintenance.views import Outcome
from opsbook.runbook.durations import parse_duration
from opsbook.runbook.problems import ValueProblem

_ROTATED = re.compile(r"\.\d+(\.gz)?$|\.gz$")
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]?i?b?)", re.IGNORECASE)
_FACTORS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


@dataclass(frozen=True)
class Rotation:
    """How to rotate: when (size, age), how many copies, how to make the writer reopen."""

    max_bytes: int | None = None
    max_age_seconds: float | None = None
    keep: int = 7
    reopen: str = ""  # a command run after the rename
    settle: float = 1.0  # the renamed file is quiet this long: the writer has moved on
    wait: float = 30.0  # at most this long


def rotate_task(
    spec: TaskSpec,
    settings: dict[str, Any],
    log_locations: tuple[str, ...],
    folder: Path,
    now: datetime,
) -> Outcome:
    """Rotate every log the task names (else the runbook's Log Locations) that is due."""
    section = settings.get("maintenance") or {}
    try:
        rule = rotation_of({**(section if isinstance(section, dict) else {}), **spec.options})
    except ValueError as exc:
        return Outcome(False, None, f"{spec.name}: {exc}")
    written = list(spec.targets) or [p for p in (_path_of(e) for e in log_locations) if p]
    files = [f for w in written for f in _files(w, folder)]
    if not files:
        return Outcome(False, None, "no log files to rotate (Targets column or Log Locations)")
    lines, ok = [], True
    for path in files:
        done, said = rotate(path, rule, now=now.timestamp(), folder=folder)
        ok = ok and done
        lines.append(said)
    return Outcome(ok, None, "\n".join(lines))


def rotation_of(options: dict[str, Any]) -> Rotation:
    """Read `max size` (`10 MB`), `max age` (`1 day`), `keep`, `reopen`; ValueError if bad."""
    size = str(options.get("max size") or options.get("max_size") or "").strip()
    age = str(options.get("max age") or options.get("max_age") or "").strip()
    keep = str(options.get("keep") or "7").strip()
    if not keep.isdigit() or not 1 <= int(keep) <= 1000:
        raise ValueError(f'keep "{keep}" is not a number of copies from 1 to 1000')
    try:
        seconds = parse_duration(age) if age else None
    except ValueProblem as exc:
        raise ValueError(f"max age: {exc}") from None
    reopen = str(options.get("reopen") or options.get("log_reopen") or "").strip().strip("`")
    return Rotation(_bytes(size) if size else None, seconds, int(keep), reopen)


def _bytes(text: str) -> int:
    match = _SIZE.fullmatch(text.replace(" ", ""))
    if match is None:
        raise ValueError(f'max size "{text}" is not a size such as 10MB or 500k')
    unit = match.group(2).lower()[:1]
    return int(float(match.group(1)) * _FACTORS[unit])


def _path_of(entry: str) -> str | None:
    span = re.search(r"`([^`]+)`", entry)
    if span:
        return span.group(1).strip()
    first = entry.strip().split(":")[0].split()
    return first[0] if first and ("/" in first[0] or first[0].startswith(("~", "."))) else None


def _files(written: str, folder: Path) -> list[Path]:
    path = Path(os.path.expanduser(written))
    full = path if path.is_absolute() else folder / path
    found = sorted(full.parent.glob(full.name)) if any(c in full.name for c in "*?[") else [full]
    return [p for p in found if p.is_file() and not p.is_symlink() and not _ROTATED.search(p.name)]


def rotate(
    path: Path,
    rule: Rotation,
    *,
    now: float,
    folder: Path,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bool, str]:
    """Rotate one file if it is due; return whether all went well and what was done."""
    size = path.stat().st_size
    first = path.with_name(path.name + ".1")
    if first.exists():  # a rotation that stopped before compressing: finish it first
        done, said = _compress(first, rule, sleep)
        if not done:
            return False, said
    if not _due(path, size, rule, now):
        return True, f"{path}: not due ({size} bytes)"
    _shift(path, rule.keep)
    os.rename(path, first)
    # A new, empty log for writers that open by name, with the old one's mode.
    with contextlib.suppress(FileExistsError):  # a writer that opens by name made it first
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, first.stat().st_mode))
    if rule.reopen:
        reopened = subprocess.run(
            [shutil.which("bash") or "/bin/sh", "-c", rule.reopen],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if reopened.returncode != 0:
            return (
                False,
                f"{path}: rotated, but the reopen command failed: {reopened.stderr[-500:]}",
            )
    done, said = _compress(first, rule, sleep)
    return done, f"{path}: rotated ({size} bytes); {said}"


def _due(path: Path, size: int, rule: Rotation, now: float) -> bool:
    if size == 0:
        return False
    if rule.max_bytes is None and rule.max_age_seconds is None:
        return True  # the schedule alone says when
    if rule.max_bytes is not None and size >= rule.max_bytes:
        return True
    if rule.max_age_seconds is not None:
        newest = path.with_name(path.name + ".1.gz")
        since = newest.stat().st_mtime if newest.exists() else path.stat().st_ctime
        return now - since >= rule.max_age_seconds
    return False


def _shift(path: Path, keep: int) -> None:
    for number in range(keep, 0, -1):
        older = path.with_name(f"{path.name}.{number}.gz")
        if not older.exists():
            continue
        if number >= keep:
            older.unlink()
        else:
            os.rename(older, path.with_name(f"{path.name}.{number + 1}.gz"))


def _compress(rotated: Path, rule: Rotation, sleep: Callable[[float], None]) -> tuple[bool, str]:
    """Compress a renamed log once its writer has left it; keep it if one still writes."""
    waited, last = 0.0, _signature(rotated)
    while waited < rule.wait:
        sleep(rule.settle)
        waited += rule.settle
        now = _signature(rotated)
        # A quiet moment alone proves nothing on a busy machine (the writer may not have
        # been scheduled since the signal): no process may still hold the file open.
        if now == last and not held_open(rotated):
            break
        last = now
    else:
        return False, f"{rotated}: a writer still writes to it; kept uncompressed (set a reopen)"
    target = rotated.with_name(rotated.name + ".gz")
    partial = rotated.with_name(rotated.name + ".gz.partial")
    with rotated.open("rb") as source, gzip.open(partial, "wb") as out:
        shutil.copyfileobj(source, out)
        copied = source.tell()
    if _signature(rotated) != last or rotated.stat().st_size != copied:
        partial.unlink()
        return False, f"{rotated}: written to while compressing; kept uncompressed"
    os.rename(partial, target)
    rotated.unlink()
    return True, f"compressed to {target.name} ({copied} bytes)"


def held_open(path: Path) -> bool:
    """Say whether a process this user may see holds the file open for writing.

    Read from Linux's /proc (elsewhere: False). A reader such as `tail -f` does not count.
    """
    try:
        target = path.stat()
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return False
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:  # gone, or another user's
            continue
        for fd in fds:
            try:
                found = os.stat(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if (found.st_dev, found.st_ino) == (target.st_dev, target.st_ino) and _writes(pid, fd):
                return True
    return False


def _writes(pid: str, fd: str) -> bool:
    """Say whether the descriptor was opened for writing (`flags:` in fdinfo, octal)."""
    try:
        info = Path(f"/proc/{pid}/fdinfo/{fd}").read_text()
    except OSError:
        return False
    flags = next((ln.split()[1] for ln in info.splitlines() if ln.startswith("flags:")), "0")
    return int(flags, 8) & (os.O_WRONLY | os.O_RDWR) != 0


def _signature(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns
