"""A tar archive written to a sink (the compressor), each file hashed on its way in.

Python's tarfile spends most of a backup of many small files building headers and copying
through its stream buffer (bench/backups.py); this writer builds a POSIX ustar header with
one `struct.pack`, falls back to tarfile's own PAX header only where ustar cannot say it
(a long or non-ASCII name, a file of 8 GiB or more), and writes the data in large blocks,
so the compressor it writes to is what sets the pace. What it writes is an
ordinary tar: GNU tar and Python's tarfile read it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
import tarfile
from pathlib import Path
from typing import Protocol

from opsbook.backups.manifest import ManifestEntry

BLOCK = 512
RECORD = 20 * BLOCK
_BUFFER = 1 << 20  # what zstd is given at a time
_HEADER = struct.Struct("100s8s8s8s12s12s8sc100s6s2s32s32s8s8s155s12x")
_USTAR_MAX_SIZE = 8**11 - 1


class Sink(Protocol):
    """Where the tar bytes go: it takes all of `data` (a view of a buffer reused after)."""

    def write(self, data: memoryview, /) -> object: ...


class TarWriter:
    """Writes tar members to a sink; `close` writes the end of the archive.

    Every byte goes through one buffer: a file is read straight into it, hashed there and
    written from there, so no byte of a file is copied in Python (a third of the bytes of
    a backup of many small files was, before)."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.out = bytearray(_BUFFER)
        self.view = memoryview(self.out)
        self.fill = 0
        self.written = 0

    def add(self, path: str | Path, name: str) -> ManifestEntry | None:
        """Add a directory, symlink or regular file; return a regular file's manifest entry.

        Sockets, FIFOs and devices are left out; a file gone since it was listed is too.
        Raises OSError if a file cannot be read, or shrinks while it is read."""
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return None
        if stat.S_ISDIR(info.st_mode):
            self._header(name + "/", info, b"5", 0)
            return None
        if stat.S_ISLNK(info.st_mode):
            self._header(name, info, b"2", 0, os.readlink(path))
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None
        try:
            info = os.fstat(descriptor)  # the size of what is opened, not of what was listed
            self._header(name, info, b"0", info.st_size)
            digest = self._copy(descriptor, info.st_size, name)
        finally:
            os.close(descriptor)
        return ManifestEntry(name, info.st_size, info.st_mode & 0o7777, digest)

    def close(self) -> None:
        """Write the two zero blocks that end an archive, padded to a whole record."""
        end = 2 * BLOCK
        total = self.written + self.fill + end
        self._put(bytes(end + (-total) % RECORD))
        self._flush()

    def _copy(self, descriptor: int, size: int, name: str) -> str:
        """Read the file into the buffer, hash it there, and pad it to a whole block."""
        digest = hashlib.sha256()
        left = size
        while left > 0:
            if self.fill == _BUFFER:
                self._flush()
            part = self.view[self.fill : self.fill + min(left, _BUFFER - self.fill)]
            count = os.readv(descriptor, [part])
            if count == 0:
                raise OSError(f"{name} shrank while it was read")
            digest.update(part[:count])
            self.fill += count
            left -= count
        pad = -size % BLOCK
        if pad:
            self._put(bytes(pad))
        return digest.hexdigest()

    def _header(
        self, name: str, info: os.stat_result, kind: bytes, size: int, link: str = ""
    ) -> None:
        encoded, target = name.encode(), link.encode()
        if (
            len(encoded) > 100
            or len(target) > 100
            or not (name + link).isascii()
            or size > _USTAR_MAX_SIZE
        ):
            self._put(_pax_header(name, info, kind, size, link))
        else:
            self._put(_ustar(encoded, info, kind, size, target))

    def _put(self, data: bytes) -> None:
        if self.fill + len(data) > _BUFFER:
            self._flush()
        if len(data) > _BUFFER:
            self._write(memoryview(data))
            return
        self.out[self.fill : self.fill + len(data)] = data
        self.fill += len(data)

    def _flush(self) -> None:
        if self.fill:
            self._write(self.view[: self.fill])
            self.fill = 0

    def _write(self, data: memoryview) -> None:
        self.sink.write(data)
        self.written += len(data)


def _ustar(name: bytes, info: os.stat_result, kind: bytes, size: int, link: bytes) -> bytes:
    """Return a POSIX ustar header (the caller checked that every field fits)."""
    fields = [
        name,
        b"%07o\0" % (info.st_mode & 0o7777),
        b"%07o\0" % (info.st_uid & 0o7777777),
        b"%07o\0" % (info.st_gid & 0o7777777),
        b"%011o\0" % size,
        b"%011o\0" % max(0, min(int(info.st_mtime), 8**11 - 1)),
        b" " * 8,
        kind,
        link,
        b"ustar\0",
        b"00",
        b"",
        b"",
        b"",
        b"",
        b"",
    ]
    header = bytearray(_HEADER.pack(*fields))
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header)


def _pax_header(name: str, info: os.stat_result, kind: bytes, size: int, link: str) -> bytes:
    """Return tarfile's PAX header for a member ustar cannot describe."""
    member = tarfile.TarInfo(name)
    member.mode, member.uid, member.gid = info.st_mode & 0o7777, info.st_uid, info.st_gid
    member.size, member.mtime, member.type, member.linkname = size, int(info.st_mtime), kind, link
    return member.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
