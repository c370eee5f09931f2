"""The restic driver: Debian's restic (0.14) makes, checks, restores and forgets snapshots.

restic hashes content chunks, not files, so opsbook keeps its own manifest: it hashes each
file while restic backs up (the same bytes, from the page cache), on a niced thread that
takes only the CPU restic leaves. A file whose size or
modification time moved between opsbook's hash and restic's end changed during the backup:
which bytes restic kept is unknown, so it is left out of the manifest, with a note.

Gaps of 0.14's JSON minded here: `backup --json`'s summary gives the snapshot's short id
only; opsbook records that id (restic takes it everywhere) rather than pay another restic
call (each one derives the key anew: about a second) for the full one; its messages arrive
one per line among status lines that are not all JSON objects of one kind.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import subprocess
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opsbook.backups.drivers.archive import walk
from opsbook.backups.drivers.base import DriverFailed, Restored, Stored, Written
from opsbook.backups.manifest import ManifestEntry, file_sha256
from opsbook.backups.settings import BackupSpec, Retention

_INCLUDES_PER_CALL = 400  # restic 0.14's restore takes no file of includes
_SAID = 2000
_NICE = 10


class ResticDriver:
    """Snapshots in a restic repository."""

    def back_up(self, spec: BackupSpec, *, ident: int, stamp: str) -> Written:
        """Take a snapshot of the spec's paths and the manifest of what it holds."""
        env = _env(spec)
        if not (spec.repository / "config").exists():
            spec.repository.parent.mkdir(parents=True, exist_ok=True)
            _restic(spec, env, "init")
        argv = [*_base(spec), "backup", "--json", "--tag", _tag(spec), "--time", _local(stamp)]
        argv += spec.paths
        process = subprocess.Popen(
            argv,
            cwd=spec.base,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        hashing = _Hashing(spec)  # meanwhile, at a lower priority: restic sets the pace
        try:
            out, err = process.communicate()
        except BaseException:
            process.kill()
            process.wait()
            raise
        hashed = hashing.result()
        if process.returncode != 0:
            raise DriverFailed(f"restic backup exited {process.returncode}: {_tail(err)}")
        summary = _summary(out.decode(errors="replace"))
        snapshot = str(summary.get("snapshot_id", ""))
        if not snapshot:
            raise DriverFailed("restic backup's summary names no snapshot")
        manifest, moved = [], 0
        for name, (entry, before) in sorted(hashed.items()):
            if _stamp(spec.base / name) != before:
                moved += (
                    1  # changed between the hash and restic's end: which bytes it kept is unknown
                )
                continue
            manifest.append(entry)
        detail = f"{moved} file(s) changed while backed up: not in the manifest" if moved else ""
        size = int(summary.get("data_added", 0))
        return Written(snapshot, snapshot, size, tuple(manifest), detail)

    def restore(
        self, spec: BackupSpec, backup: Stored, paths: Sequence[str], scratch: Path, rotation: int
    ) -> Restored:
        """Check the next part of the repository's data, then restore these paths."""
        env = _env(spec)
        out = Restored()
        parts = spec.drill.cover_within
        subset = f"{rotation % parts + 1}/{parts}"
        done = _run([*_base(spec), "check", f"--read-data-subset={subset}"], spec, env)
        if done.returncode != 0:
            said = _tail(done.stderr + done.stdout)
            out.problems.append(f"restic check --read-data-subset={subset} failed: {said}")
        for start in range(0, len(paths), _INCLUDES_PER_CALL):
            chunk = paths[start : start + _INCLUDES_PER_CALL]
            includes = [arg for path in chunk for arg in ("--include", "/" + path)]
            argv = [*_base(spec), "restore", backup.location, "--target", str(scratch), *includes]
            done = _run(argv, spec, env)
            if done.returncode != 0:
                out.problems.append(f"restic restore failed: {_tail(done.stderr)}")
        for path in paths:
            restored = scratch / path
            if restored.is_file():
                out.files[path] = restored
        return out

    def remove(self, spec: BackupSpec, backups: Sequence[Stored]) -> None:
        """Forget these snapshots and prune the data no snapshot needs any more."""
        ids = [b.location for b in backups if b.location]
        if ids:
            _restic(spec, _env(spec), "forget", "--prune", *ids)

    def forget(self, spec: BackupSpec) -> list[str]:
        """Forget the set's snapshots its keep-* policy does not keep, by restic's own rules,
        prune their data; return the ids of the snapshots restic removed."""
        policy = keep_options(spec.keep)
        if not policy:
            return []  # restic forgets nothing without a policy; neither does opsbook
        said = _restic(
            spec, _env(spec), "forget", "--json", "--prune", "--tag", _tag(spec), *policy
        )
        return removed_snapshots(said)


def keep_options(keep: Retention) -> list[str]:
    """Return restic's keep-* options for a retention policy.

    restic's --keep-within counts back from the newest snapshot, in whole hours here
    (rounded up: it keeps at least what was asked)."""
    options = []
    for flag, count in (
        ("--keep-last", keep.last),
        ("--keep-daily", keep.daily),
        ("--keep-weekly", keep.weekly),
        ("--keep-monthly", keep.monthly),
    ):
        if count is not None:
            options += [flag, str(count)]
    if keep.within_seconds is not None:
        options += ["--keep-within", f"{max(1, math.ceil(keep.within_seconds / 3600))}h"]
    return options


def removed_snapshots(output: str) -> list[str]:
    """Return the full ids of the snapshots `forget --json` says it removed.

    0.14 prints one JSON list of groups, each with `keep` and `remove` (null when empty)."""
    for line in output.splitlines():
        try:
            groups = json.loads(line)
        except ValueError:
            continue
        if isinstance(groups, list):
            return [
                str(snapshot["id"])
                for group in groups
                if isinstance(group, dict)
                for snapshot in group.get("remove") or []
                if isinstance(snapshot, dict) and snapshot.get("id")
            ]
    raise DriverFailed(f"restic forget printed no list of what it removed: {_tail(output)}")


def _tag(spec: BackupSpec) -> str:
    return f"opsbook:{spec.name}"


def _local(stamp: str) -> str:
    """Return the backup's UTC stamp as restic's --time takes it (local time): the snapshot's
    time is the one opsbook records, and what restic's daily/weekly/monthly rules count."""
    moment = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _base(spec: BackupSpec) -> list[str]:
    return ["restic", "--repo", str(spec.repository), "--quiet"]


def _env(spec: BackupSpec) -> dict[str, str]:
    env = dict(os.environ)
    if spec.password_file is not None:
        env["RESTIC_PASSWORD_FILE"] = str(spec.password_file)
        env.pop("RESTIC_PASSWORD", None)
    elif not (env.get("RESTIC_PASSWORD") or env.get("RESTIC_PASSWORD_FILE")):
        raise DriverFailed(
            f"backup {spec.name}: restic needs a password: set `password_file` in the front "
            "matter, or RESTIC_PASSWORD_FILE"
        )
    return env


def _run(
    argv: list[str], spec: BackupSpec, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            argv,
            cwd=spec.base,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
    except OSError as exc:
        raise DriverFailed(f"cannot run restic: {exc}") from None


def _restic(spec: BackupSpec, env: dict[str, str], *args: str) -> str:
    done = _run([*_base(spec), *args], spec, env)
    if done.returncode != 0:
        raise DriverFailed(f"restic {args[0]} exited {done.returncode}: {_tail(done.stderr)}")
    return done.stdout


def _summary(output: str) -> dict[str, Any]:
    """Return the summary message of `backup --json` (its last line of that type)."""
    for line in reversed(output.splitlines()):
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("message_type") == "summary":
            return message
    raise DriverFailed("restic backup printed no summary")


def _stamp(path: Path) -> tuple[int, int] | None:
    """Return a file's size and modification time in nanoseconds (None: it is gone)."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


class _Hashing:
    """`_hash_files` on a thread of its own, niced (Linux: a thread's own priority), so the
    hashing takes only what CPU restic leaves and does not slow the backup it runs beside."""

    def __init__(self, spec: BackupSpec) -> None:
        self.spec = spec
        self.hashed: dict[str, tuple[ManifestEntry, tuple[int, int]]] = {}
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="restic-manifest", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _NICE)
        try:
            self.hashed = _hash_files(self.spec)
        except BaseException as exc:  # handed to the caller's thread
            self.error = exc

    def result(self) -> dict[str, tuple[ManifestEntry, tuple[int, int]]]:
        """Wait for the hashing; return its entries (or raise what it raised)."""
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.hashed


def _hash_files(spec: BackupSpec) -> dict[str, tuple[ManifestEntry, tuple[int, int]]]:
    """Hash every regular file under the spec's paths: (entry, (size, mtime_ns)) by path."""
    hashed: dict[str, tuple[ManifestEntry, tuple[int, int]]] = {}
    for path, name in walk(spec.base, spec.paths):
        try:
            before = os.lstat(path)
            if not stat.S_ISREG(before.st_mode):
                continue
            digest = file_sha256(Path(path))
            after = os.lstat(path)
        except FileNotFoundError:
            continue
        stamp = (after.st_size, after.st_mtime_ns)
        if (before.st_size, before.st_mtime_ns) != stamp:
            continue  # changed while hashed
        hashed[name] = (ManifestEntry(name, after.st_size, after.st_mode & 0o7777, digest), stamp)
    return hashed


def _tail(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    text = text.strip()
    return text[-_SAID:] if text else "(no output)"
