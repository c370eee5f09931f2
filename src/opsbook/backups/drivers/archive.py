"""The built-in driver: a tar archive compressed by Debian's `zstd`, its manifest taken while
archiving.

`tar_stream.TarWriter` writes the archive into `zstd`'s standard input and hashes every
file's bytes as it writes them, so the manifest's SHA-256 is of the very bytes archived,
each file read once. The
archive is written under a `.partial` name, fsynced, then renamed: a file with the final
name is always whole. zstd adds its own checksum of the content, which a restore checks.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import posixpath
import subprocess
import tarfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from opsbook.backups.drivers.base import DriverFailed, Restored, Stored, Written
from opsbook.backups.durable import fsync_directory
from opsbook.backups.hashed_pipe import HashedCopy
from opsbook.backups.manifest import ManifestEntry, file_sha256
from opsbook.backups.settings import BackupSpec
from opsbook.backups.tar_stream import TarWriter
from opsbook.store.private import private_directory

SUFFIX = ".tar.zst"
PARTIAL = ".partial"
_BUFFER = 1 << 20


class ArchiveDriver:
    """tar + zstd archives in the backup's repository folder."""

    def back_up(self, spec: BackupSpec, *, ident: int, stamp: str) -> Written:
        """Write one archive of the spec's paths, with its manifest; fsynced before it returns."""
        folder = private_directory(spec.repository)
        for left in folder.glob(f"{spec.name}-*{SUFFIX}{PARTIAL}"):
            left.unlink(missing_ok=True)  # of a backup killed before it finished
        final = folder / f"{spec.name}-{stamp}-{ident}{SUFFIX}"
        partial = final.with_name(final.name + PARTIAL)
        # Made owner-only before a byte is in it: a backup holds the data.
        target = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            zstd = subprocess.Popen(
                ["zstd", f"-{spec.level}", "-T0", "-q", "-c"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except BaseException:
            os.close(target)
            raise
        assert zstd.stdout is not None
        copy = HashedCopy(zstd.stdout.fileno(), target)
        assert zstd.stdin is not None
        _widen(zstd.stdin.fileno())
        manifest: list[ManifestEntry] = []
        try:
            writer = TarWriter(zstd.stdin.fileno())
            for path, name in walk(spec.base, spec.paths):
                try:
                    entry = writer.add(path, name)
                except OSError as exc:
                    raise DriverFailed(f"{name}: {exc.strerror or exc}") from None
                if entry is not None:
                    manifest.append(entry)
            writer.close()
            zstd.stdin.close()
        except BaseException:
            zstd.kill()
            zstd.wait()
            _close(copy, target)
            partial.unlink(missing_ok=True)
            raise
        said = zstd.stderr.read().decode(errors="replace") if zstd.stderr else ""
        code = zstd.wait()
        try:
            digest = copy.finish()
            os.fsync(target)
        finally:
            _close(copy, target)
        if code != 0:
            partial.unlink(missing_ok=True)
            raise DriverFailed(f"zstd failed: {said.strip() or code}")
        size = copy.size
        os.replace(partial, final)
        fsync_directory(folder)
        return Written(location=final.name, sha256=digest, size=size, manifest=tuple(manifest))

    def restore(
        self, spec: BackupSpec, backup: Stored, paths: Sequence[str], scratch: Path, rotation: int
    ) -> Restored:
        """Extract these paths into scratch; note a changed archive or a failed decompression."""
        archive = spec.repository / backup.location
        out = Restored()
        if not archive.is_file():
            out.problems.append(f"archive {archive} is missing")
            return out
        now_sha = file_sha256(archive)
        if now_sha != backup.sha256:
            out.problems.append(
                f"archive {archive.name} has SHA-256 {now_sha[:12]}…, "
                f"not the {backup.sha256[:12]}… recorded when it was written"
            )
        wanted = set(paths)
        zstd = subprocess.Popen(
            ["zstd", "-dc", "-q", str(archive)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert zstd.stdout is not None
        try:
            with tarfile.open(fileobj=zstd.stdout, mode="r|", bufsize=_BUFFER) as tar:
                for member in tar:
                    if member.name in wanted and member.isfile():
                        tar.extract(member, scratch, filter="data")
                        out.files[member.name] = scratch / member.name
        except (tarfile.TarError, OSError, EOFError) as exc:
            out.problems.append(f"the archive could not be read to its end: {exc}")
        finally:
            zstd.stdout.close()
            said = zstd.stderr.read().decode(errors="replace") if zstd.stderr else ""
            code = zstd.wait()
        if code != 0:
            out.problems.append(f"zstd could not decompress it: {said.strip() or code}")
        return out

    def remove(self, spec: BackupSpec, backups: Sequence[Stored]) -> None:
        """Delete the archives of these backups."""
        for backup in backups:
            if backup.location:
                (spec.repository / backup.location).unlink(missing_ok=True)


def walk(base: Path, paths: Sequence[str]) -> Iterator[tuple[str, str]]:
    """Yield every directory, file and symlink under the paths, sorted, with its archive name.

    Strings, not Path objects: a backup of many small files spends its time per file."""
    root = str(base)
    for given in paths:
        name = posixpath.normpath(given)
        top = os.path.join(root, name)
        if not os.path.lexists(top):
            raise DriverFailed(f"{given}: no such file or directory under {base}")
        if os.path.islink(top) or not os.path.isdir(top):
            yield top, name
            continue
        yield from _tree(top, name)


def _tree(folder: str, name: str) -> Iterator[tuple[str, str]]:
    yield folder, name
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except FileNotFoundError:
        return  # removed since its parent was listed
    for entry in entries:
        child = f"{name}/{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            yield from _tree(entry.path, child)
        else:
            yield entry.path, child


def _close(copy: HashedCopy, target: int) -> None:
    copy.thread.join()
    os.close(target)


def _widen(descriptor: int) -> None:
    """Give the pipe to zstd 1 MiB (Linux), so archiving and compressing overlap."""
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(descriptor, fcntl.F_SETPIPE_SZ, _BUFFER)
