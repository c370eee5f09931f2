"""Hashing a file while another process writes it: the hash is of every byte written, in
order, however the reads fall between the writer's writes."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from opsbook.backups.growing_hash import GrowingFileHash

pytestmark = pytest.mark.process

# Writes 40 pieces of 100 kB of different bytes, pausing between them, so the reader keeps
# catching up with the end of the file and has to wait for more.
WRITER = """
import os, sys, time
with open(sys.argv[1], "ab", buffering=0) as out:
    for index in range(40):
        out.write(bytes([index]) * 100_000 + os.urandom(37))
        time.sleep(0.005)
"""


def test_the_hash_is_of_everything_the_writer_wrote_once_it_has_ended(tmp_path: Path) -> None:
    target = tmp_path / "archive.partial"
    target.touch()
    hashed = GrowingFileHash(target)
    subprocess.run([sys.executable, "-c", WRITER, str(target)], check=True)
    digest = hashed.finish()
    data = target.read_bytes()
    assert len(data) == 40 * 100_037
    assert (digest, hashed.size) == (hashlib.sha256(data).hexdigest(), len(data))


def test_an_empty_file_hashes_as_nothing_and_stop_closes_it(tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.touch()
    hashed = GrowingFileHash(target)
    assert hashed.finish() == hashlib.sha256(b"").hexdigest()
    hashed.stop()  # twice is harmless
    assert hashed.descriptor == -1
