"""The archive file: one zstd frame that Debian's zstd reads back whole, its SHA-256 and size
those of every byte written, and a write that fails named, not taken for an archive."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from opsbook.backups.archive_file import ArchiveFile
from opsbook.backups.drivers.base import DriverFailed
from tests.backups.conftest import need


@pytest.mark.process
def test_the_frame_decompresses_to_what_was_written_and_its_hash_is_of_the_file(
    tmp_path: Path,
) -> None:
    need("zstd")
    data = os.urandom(3 << 20) + b"words and words " * 400_000  # some of it compresses
    out = tmp_path / "a.zst"
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        archive = ArchiveFile(descriptor, level=1)
        view = memoryview(data)
        for start in range(0, len(data), 1 << 20):
            archive.write(view[start : start + (1 << 20)])
        digest = archive.finish()
    finally:
        os.close(descriptor)
    written = out.read_bytes()
    assert (digest, archive.size) == (hashlib.sha256(written).hexdigest(), len(written))
    assert len(written) < len(data)
    back = subprocess.run(["zstd", "-dc", str(out)], capture_output=True, check=True).stdout
    assert back == data


def test_a_write_that_fails_is_named_and_the_archive_not_finished(tmp_path: Path) -> None:
    (tmp_path / "a.zst").touch()
    descriptor = os.open(tmp_path / "a.zst", os.O_RDONLY)  # every write fails: EBADF
    try:
        archive = ArchiveFile(descriptor, level=1)
        with pytest.raises(DriverFailed, match="cannot write the archive"):
            for _ in range(64):
                archive.write(memoryview(os.urandom(1 << 20)))
            archive.finish()
        archive.abandon()
    finally:
        os.close(descriptor)
