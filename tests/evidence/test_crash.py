"""kill -9 in the middle of a large ingest leaves no blob, no record, and no obstacle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from opsbook.evidence import service
from opsbook.evidence.place import EvidenceDir
from tests.evidence.conftest import NOW

pytestmark = pytest.mark.process

SIZE = 256 << 20
INGEST = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from opsbook.evidence import service
from opsbook.evidence.place import EvidenceDir
service.add(place=EvidenceDir(Path(sys.argv[1])), paths=[Path(sys.argv[2])], actor="ana",
            now=datetime.now(UTC))
"""


def test_kill_9_mid_ingest_leaves_no_blob_no_record_and_the_next_ingest_succeeds(
    tmp_path: Path,
) -> None:
    big = tmp_path / "disk.img"
    with big.open("wb") as out:  # sparse but for a head, so the copy is what takes time
        out.write(os.urandom(1 << 20))
        out.truncate(SIZE)
    root = tmp_path / "vault"
    child = subprocess.Popen([sys.executable, "-c", INGEST, str(root), str(big)])
    temporary = root / "tmp"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        partial = [p for p in temporary.glob(".ingest-*")] if temporary.is_dir() else []
        if partial and partial[0].stat().st_size >= 8 << 20:
            break
        assert child.poll() is None, "the ingest ended before it could be killed"
        time.sleep(0.001)
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    place = EvidenceDir(root)
    assert list(place.vault.blobs()) == []
    assert not place.ledger.path.exists() or place.ledger.path.read_bytes() == b""
    assert service.verify_all(place=place).ok
    added = service.add(place=place, paths=[big], actor="ana", now=NOW)
    record = added[0].record
    assert record is not None and record.size == SIZE
    assert place.vault.path_of(record.sha256).stat().st_size == SIZE
    assert service.verify_all(place=place).ok
