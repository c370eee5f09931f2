"""A backup's manifest: every file's path, size, mode and SHA-256, as it was backed up.

Taken while the backup reads each file (the archive driver hashes the very bytes it writes
into the archive), kept in the database beside the backup's record, and what every restore
drill compares its restored files with: never the live files, which have moved on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


@dataclass(frozen=True)
class ManifestEntry:
    """One file of a backup: its path (relative, `/`-separated), size, mode and SHA-256."""

    path: str
    size: int
    mode: int
    sha256: str


class HashingReader:
    """A file read through: hands its bytes on and hashes them on the way."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.digest = hashlib.sha256()
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.digest.update(data)
        self.count += len(data)
        return data

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
