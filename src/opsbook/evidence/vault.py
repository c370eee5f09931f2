"""The vault's blobs: files stored under their SHA-256, whole or not at all.

Ingest streams in 1 MiB chunks (constant memory whatever the size), hashing while it copies
into a temporary name inside the vault; the copy is fsynced, renamed to `sha256/ab/<hash>`
and the directory fsynced, so a crash leaves a complete blob or none under a final name.
A file is opened without following a symbolic link; a directory is walked without following
any, and stored as a JSON manifest of its files.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from opsbook.errors import BadInput
from opsbook.evidence.copying import CHUNK, copy_file, copy_stream
from opsbook.evidence.names import blob_name, inside_name
from opsbook.store.private import private_directory

MANIFEST_KIND = "opsbook-evidence-directory/1"


@dataclass(frozen=True)
class Stored:
    """A blob in the vault: its hash, its size, and whether it is a file or a directory."""

    sha256: str
    size: int
    kind: str


class Vault:
    """The blobs under one evidence directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.temporary = root / "tmp"

    def path_of(self, sha256: str) -> Path:
        """Return where the blob with this hash lives (whether or not it does)."""
        return self.root / blob_name(sha256)

    def remove(self, sha256: str) -> None:
        """Delete a blob (disposed evidence) and make the deletion durable."""
        path = self.path_of(sha256)
        path.unlink(missing_ok=True)
        if path.parent.is_dir():
            _fsync_directory(path.parent)

    def blobs(self) -> Iterator[Path]:
        """Yield every blob file under `sha256/`, in name order."""
        base = self.root / "sha256"
        if not base.is_dir():
            return
        for folder in sorted(base.iterdir()):
            if folder.is_dir():
                yield from sorted(folder.iterdir())

    def ingest(self, source: Path) -> Stored:
        """Store a file or a directory as named (never through a symbolic link)."""
        if stat.S_ISDIR(self.check(source)):
            return self._ingest_directory(source)
        return self._ingest_file(source)

    def check(self, source: Path) -> int:
        """Return the mode of what a path names; BadInput if it cannot be stored."""
        try:
            info = source.lstat()
        except FileNotFoundError:
            raise BadInput(f"{source}: no such file or directory") from None
        except OSError as exc:
            raise BadInput(f"{source}: {exc.strerror or exc}") from None
        if stat.S_ISLNK(info.st_mode):
            raise BadInput(
                f"{source} is a symbolic link to {os.readlink(source)}; it is not followed",
                "name the file it points to, if that is the evidence",
            )
        if stat.S_ISDIR(info.st_mode) and self.root.resolve().is_relative_to(source.resolve()):
            raise BadInput(
                f"{source} holds the evidence vault itself ({self.root})",
                "name the files in it to collect, or keep the vault elsewhere (evidence_dir)",
            )
        return info.st_mode

    def _ingest_file(self, source: Path) -> Stored:
        try:
            descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            raise BadInput(f"{source}: cannot be read: {exc.strerror or exc}") from None
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise BadInput(f"{source} is not a regular file")
            return self._store(lambda out: copy_file(descriptor, out))
        finally:
            os.close(descriptor)

    def store_bytes(self, data: bytes, kind: str = "file") -> Stored:
        """Store bytes made here (a manifest) as a blob."""
        view = memoryview(data)
        offset = 0

        def readinto(buffer: memoryview) -> int:
            nonlocal offset
            count = min(len(buffer), len(view) - offset)
            buffer[:count] = view[offset : offset + count]
            offset += count
            return count

        stored = self._store(lambda out: copy_stream(readinto, out))
        return Stored(stored.sha256, stored.size, kind)

    def _store(self, fill: Callable[[int], tuple[str, int]]) -> Stored:
        """Fill a temporary file with `fill(descriptor)`, fsync it, rename it to its hash."""
        private_directory(self.temporary)
        name = self.temporary / f".ingest-{os.getpid()}-{os.urandom(6).hex()}"
        descriptor = os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            sha256, size = fill(descriptor)
            os.fsync(descriptor)
            os.close(descriptor)
            descriptor = -1
            target = self.path_of(sha256)
            if target.exists():
                name.unlink()  # the same bytes are in the vault already
            else:
                new_folder = not target.parent.exists()
                private_directory(target.parent)
                os.chmod(name, 0o400)
                os.rename(name, target)
                _fsync_directory(target.parent)
                if new_folder:
                    _fsync_directory(target.parent.parent)
        except BaseException:
            if descriptor >= 0:
                os.close(descriptor)
            name.unlink(missing_ok=True)
            raise
        return Stored(sha256, size, "file")

    def _ingest_directory(self, top: Path) -> Stored:
        entries: list[dict[str, object]] = []
        for relative, path in _walk(top):
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                entries.append({"path": relative, "link": _link_inside(top, path, relative)})
            elif stat.S_ISREG(info.st_mode):
                stored = self._ingest_file(path)
                entries.append({"path": relative, "sha256": stored.sha256, "size": stored.size})
        manifest = {"kind": MANIFEST_KIND, "entries": entries}
        data = json.dumps(manifest, sort_keys=True, indent=1).encode() + b"\n"
        return self.store_bytes(data, kind="directory")

    def manifest(self, sha256: str) -> list[dict[str, object]]:
        """Return the entries of a directory's manifest; BadInput if it is not one."""
        try:
            data = json.loads(self.path_of(sha256).read_bytes())
        except (OSError, ValueError) as exc:
            raise BadInput(f"blob {sha256} is not a readable manifest: {exc}") from None
        if not isinstance(data, dict) or data.get("kind") != MANIFEST_KIND:
            raise BadInput(f"blob {sha256} is not a directory manifest")
        entries = data.get("entries")
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise BadInput(f"blob {sha256}: the manifest's entries are not a list")
        for entry in entries:
            inside_name(str(entry.get("path", "")))
        return entries


def rehash(path: Path) -> tuple[str, int]:
    """Return the SHA-256 and size of a file, read in constant memory."""
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    size = 0
    with path.open("rb", buffering=0) as src:
        while count := src.readinto(view):
            digest.update(view[:count])
            size += count
    return digest.hexdigest(), size


def _walk(top: Path) -> Iterator[tuple[str, Path]]:
    """Yield (name relative to top, path) of everything under top, never entering a link."""
    for folder, directories, files in os.walk(top, followlinks=False):
        directories.sort()
        base = Path(folder)
        for name in sorted(files) + [d for d in directories if (base / d).is_symlink()]:
            path = base / name
            yield path.relative_to(top).as_posix(), path


def _link_inside(top: Path, link: Path, relative: str) -> str:
    """Return a link's target if it stays inside top; BadInput naming it if it leaves."""
    target = os.readlink(link)
    resolved = (link.parent / target).resolve()
    if not resolved.is_relative_to(top.resolve()):
        raise BadInput(
            f"{top}: {relative} is a symbolic link to {target}, outside what was asked for",
            "links are recorded, never followed; name what it points to separately",
        )
    return target


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
