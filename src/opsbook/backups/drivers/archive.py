"""The built-in driver: a tar archive compressed with zstd, its manifest taken while
archiving; Debian's `zstd` and GNU tar read it back.

`tar_stream.TarWriter` hashes every file's bytes as it hands them to the compressor, so the
manifest's SHA-256 is of the very bytes archived, each file read once; `archive_file`
compresses them in this process (libzstd's threads) and hashes the archive as it writes it
(the archive's recorded SHA-256, with no second read). The archive is written under a
`.partial` name, fsynced, then renamed: a file with the final name is always whole. zstd
adds its own checksum of the content, which a restore checks.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import stat
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import zstandard

from opsbook.backups.archive_file import ArchiveFile
from opsbook.backups.drivers.base import DriverFailed, Restored, Stored, Written
from opsbook.backups.durable import fsync_directory
from opsbook.backups.manifest import ManifestEntry, file_sha256
from opsbook.backups.settings import BackupSpec
from opsbook.backups.tar_stream import TarWriter
from opsbook.store.private import private_directory

SUFFIX = ".tar.zst"
PARTIAL = ".partial"


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
        manifest: list[ManifestEntry] = []
        archive = None
        try:
            archive = ArchiveFile(target, spec.level)
            writer = TarWriter(archive)
            for path, name in walk(spec.base, spec.paths):
                try:
                    entry = writer.add(path, name)
                except OSError as exc:
                    raise DriverFailed(f"{name}: {exc.strerror or exc}") from None
                if entry is not None:
                    manifest.append(entry)
            writer.close()
            digest = archive.finish()
        except zstandard.ZstdError as exc:
            _abandon(archive, target, partial)
            raise DriverFailed(f"zstd failed: {exc}") from None
        except BaseException:
            _abandon(archive, target, partial)
            raise
        os.close(target)
        os.replace(partial, final)
        fsync_directory(folder)
        return Written(
            location=final.name, sha256=digest, size=archive.size, manifest=tuple(manifest)
        )

    def restore(
        self, spec: BackupSpec, backup: Stored, paths: Sequence[str], scratch: Path, rotation: int
    ) -> Restored:
        """Extract these paths into scratch; note a changed archive or one that does not read."""
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
        with tempfile.NamedTemporaryFile(prefix="opsbook-drill-", suffix=".list") as listing:
            listing.write(b"".join(os.fsencode(path) + b"\0" for path in paths))
            listing.flush()
            problems = _extract(archive, scratch, Path(listing.name))
        out.problems.extend(problems)
        for path in paths:
            restored = scratch / path
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(restored).st_mode):
                    out.files[path] = restored
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


def _extract(archive: Path, scratch: Path, listing: Path) -> list[str]:
    """Decompress the archive into GNU tar, which extracts the listed members into scratch.

    tar reads the archive to its end (so zstd checks its whole content checksum), refuses
    members with `..` or a leading `/`, and sets neither owner nor permissions from it."""
    zstd = subprocess.Popen(
        ["zstd", "-dc", "-q", str(archive)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        tar = subprocess.Popen(
            [
                "tar",
                "-x",
                "-f",
                "-",
                "-C",
                str(scratch),
                "--no-same-owner",
                "--no-same-permissions",
                "--null",
                "--verbatim-files-from",
                "-T",
                str(listing),
            ],
            stdin=zstd.stdout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        zstd.kill()
        zstd.wait()
        return [f"cannot run tar: {exc}"]
    finally:
        if zstd.stdout is not None:
            zstd.stdout.close()  # tar holds it now
    tar_said = tar.stderr.read().decode(errors="replace") if tar.stderr else ""
    tar_code = tar.wait()
    zstd_said = zstd.stderr.read().decode(errors="replace") if zstd.stderr else ""
    zstd_code = zstd.wait()
    problems = []
    if zstd_code != 0:
        problems.append(f"zstd could not decompress it: {zstd_said.strip() or zstd_code}")
    if tar_code != 0:
        said = " ".join(tar_said.strip().splitlines()[-3:])
        problems.append(f"tar could not read it whole: {said or tar_code}")
    return problems


def _abandon(archive: ArchiveFile | None, target: int, partial: Path) -> None:
    if archive is not None:
        archive.abandon()
    os.close(target)
    partial.unlink(missing_ok=True)
