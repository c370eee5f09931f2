"""The command driver: any command that writes one backup file (`pg_dump -Fc`, `mysqldump`).

The command runs in the runbook's folder with bash, as the runbook's steps do; the file it
must write is named in `$OPSBOOK_BACKUP_OUTPUT`, never spliced into its text. opsbook then
hashes the file and keeps it. A restore copies the file into the scratch directory and, if
the runbook gives a `restore_command`, runs it with `$OPSBOOK_RESTORE_INPUT` naming the copy
and `$OPSBOOK_SCRATCH` the scratch directory: the drill passes only if it exits 0.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from opsbook.backups.drivers.base import DriverFailed, Restored, Stored, Written
from opsbook.backups.durable import fsync_directory, fsync_file
from opsbook.backups.manifest import ManifestEntry, file_sha256
from opsbook.backups.settings import BackupSpec
from opsbook.store.private import private_directory

PARTIAL = ".partial"
_SAID = 2000  # characters of a failed command's output kept in the message


class CommandDriver:
    """Backups written by a command of the runbook's own."""

    def back_up(self, spec: BackupSpec, *, ident: int, stamp: str) -> Written:
        """Run the command into a partial file; hash, fsync and name it once it exits 0."""
        folder = private_directory(spec.repository)
        for left in folder.glob(f"{spec.name}-*{PARTIAL}"):
            left.unlink(missing_ok=True)
        final = folder / f"{spec.name}-{stamp}-{ident}.dump"
        partial = final.with_name(final.name + PARTIAL)
        env = {**os.environ, "OPSBOOK_BACKUP_OUTPUT": str(partial)}
        done = _bash(spec.command, spec.base, env)
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise DriverFailed(f"the command exited {done.returncode}: {_tail(done.stdout)}")
        if not partial.is_file():
            raise DriverFailed("the command exited 0 but wrote nothing to $OPSBOOK_BACKUP_OUTPUT")
        os.chmod(partial, 0o600)  # a backup holds the data: only its owner reads it
        fsync_file(partial)
        digest, info = file_sha256(partial), partial.stat()
        os.replace(partial, final)
        fsync_directory(folder)
        entry = ManifestEntry(final.name, info.st_size, info.st_mode & 0o7777, digest)
        return Written(final.name, digest, info.st_size, (entry,))

    def restore(
        self, spec: BackupSpec, backup: Stored, paths: Sequence[str], scratch: Path, rotation: int
    ) -> Restored:
        """Copy the backup file into scratch; run the restore command on the copy, if any."""
        out = Restored()
        source = spec.repository / backup.location
        if not source.is_file():
            out.problems.append(f"backup file {source} is missing")
            return out
        copy = scratch / backup.location
        shutil.copyfile(source, copy)
        out.files[backup.location] = copy
        if spec.restore_command:
            env = {
                **os.environ,
                "OPSBOOK_RESTORE_INPUT": str(copy),
                "OPSBOOK_SCRATCH": str(scratch),
            }
            done = _bash(spec.restore_command, spec.base, env)
            if done.returncode != 0:
                out.problems.append(
                    f"the restore command exited {done.returncode}: {_tail(done.stdout)}"
                )
        return out

    def remove(self, spec: BackupSpec, backups: Sequence[Stored]) -> None:
        """Delete the files of these backups."""
        for backup in backups:
            if backup.location:
                (spec.repository / backup.location).unlink(missing_ok=True)


def _bash(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["bash", "-c", command],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            check=False,
        )
    except OSError as exc:
        raise DriverFailed(f"cannot run bash: {exc}") from None


def _tail(text: str) -> str:
    text = text.strip()
    return text[-_SAID:] if text else "(no output)"
