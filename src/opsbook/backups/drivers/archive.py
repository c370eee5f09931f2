"""The built-in driver: a tar archive compressed by Debian's `zstd`, its manifest taken while
archiving.

Python's tarfile writes the archive into `zstd`'s standard input; every file goes in through
a `HashingReader`, so the manifest's SHA-256 is of the very bytes archived, read once. The
archive is written under a `.partial` name, fsynced, then renamed: a file with the final
name is always whole. zstd adds its own checksum of the content, which a restore checks.
"""

from __future__ import annotations

import os
import stat
import subprocess
import tarfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from opsbook.backups.drivers.base import DriverFailed, Restored, Stored, Written
from opsbook.backups.durable import fsync_directory, fsync_file
from opsbook.backups.manifest import HashingReader, ManifestEntry, file_sha256
from opsbook.backups.settings import BackupSpec
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
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            zstd = subprocess.Popen(
                ["zstd", f"-{spec.level}", "-q", "-c"],
                stdin=subprocess.PIPE,
                stdout=descriptor,
                stderr=subprocess.PIPE,
            )
        finally:
            os.close(descriptor)
        assert zstd.stdin is not None
        manifest: list[ManifestEntry] = []
        try:
            with tarfile.open(
                fileobj=zstd.stdin,
                mode="w|",
                bufsize=_BUFFER,
                format=tarfile.PAX_FORMAT,
            ) as tar:
                tar.copybufsize = _BUFFER  # type: ignore[attr-defined]  # else 16 KiB a copy
                for path, name in walk(spec.base, spec.paths):
                    entry = _add(tar, path, name)
                    if entry is not None:
                        manifest.append(entry)
            zstd.stdin.close()
        except BaseException:
            zstd.kill()
            zstd.wait()
            partial.unlink(missing_ok=True)
            raise
        said = zstd.stderr.read().decode(errors="replace") if zstd.stderr else ""
        if zstd.wait() != 0:
            partial.unlink(missing_ok=True)
            raise DriverFailed(f"zstd failed: {said.strip() or zstd.returncode}")
        fsync_file(partial)
        digest, size = file_sha256(partial), partial.stat().st_size
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


def walk(base: Path, paths: Sequence[str]) -> Iterator[tuple[Path, str]]:
    """Yield every directory, file and symlink under the paths, sorted, with its archive name."""
    for given in paths:
        top = base / given
        if not top.exists() and not top.is_symlink():
            raise DriverFailed(f"{given}: no such file or directory under {base}")
        if not top.is_dir() or top.is_symlink():
            yield top, given
            continue
        for root, dirs, files in os.walk(top):
            dirs.sort()
            here = Path(root)
            yield here, here.relative_to(base).as_posix()
            for name in sorted(files) + [d for d in dirs if (here / d).is_symlink()]:
                yield here / name, (here / name).relative_to(base).as_posix()


def _add(tar: tarfile.TarFile, path: Path, name: str) -> ManifestEntry | None:
    """Put one path into the archive; return its manifest entry if it is a regular file."""
    try:
        mode = os.lstat(path).st_mode
        if not stat.S_ISREG(mode):
            if stat.S_ISDIR(mode) or stat.S_ISLNK(mode):
                tar.addfile(tar.gettarinfo(str(path), arcname=name))
            return None  # sockets, FIFOs and devices are not data to keep
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None  # deleted since the walk listed it: not part of this backup
    except OSError as exc:
        raise DriverFailed(f"{name}: {exc.strerror or exc}") from None
    with os.fdopen(descriptor, "rb") as file:
        info = tar.gettarinfo(arcname=name, fileobj=file)
        reader = HashingReader(file)
        try:
            tar.addfile(info, reader)
        except OSError as exc:  # the file shrank while it was read
            raise DriverFailed(f"{name} changed while it was archived: {exc}") from None
    return ManifestEntry(name, info.size, info.mode & 0o7777, reader.hexdigest())
