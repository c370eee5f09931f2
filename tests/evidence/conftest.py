"""An evidence directory with a few pieces of evidence, transfers and checkpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opsbook.evidence import handling, publishing, service
from opsbook.evidence.place import EvidenceDir

NOW = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)


def sources(folder: Path) -> list[Path]:
    """Make a few files and a directory to collect; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "auth.log").write_bytes(b"Dec  2 13:59:01 sshd[1]: Failed password\n" * 40)
    (folder / "app.log").write_bytes(bytes(range(256)) * 8)
    (folder / "empty.log").write_bytes(b"")
    tree = folder / "etc"
    (tree / "nginx").mkdir(parents=True, exist_ok=True)
    (tree / "nginx" / "nginx.conf").write_text("worker_processes 4;\n")
    (tree / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    return [folder / "auth.log", folder / "app.log", folder / "empty.log", tree]


def filled(root: Path, folder: Path) -> EvidenceDir:
    """Return an evidence directory with collections, transfers and two checkpoints."""
    place = EvidenceDir(root)
    added = service.add(
        place=place, paths=sources(folder), actor="ana", now=NOW, incident=7, reason="breach"
    )
    first = added[0].record
    assert first is not None
    publishing.checkpoint(place=place, now=NOW)
    later = NOW + timedelta(minutes=5)
    handling.transfer(
        place=place, sha256=first.sha256, to="Joe Ruiz", purpose="lab", actor="ana", now=later
    )
    handling.transfer(
        place=place, sha256=first.sha256[:10], to="Court", purpose="trial", actor="joe", now=later
    )
    publishing.checkpoint(place=place, now=later)
    return place


@pytest.fixture
def place(tmp_path: Path) -> EvidenceDir:
    """A filled evidence directory of this test's own."""
    return filled(tmp_path / "vault", tmp_path / "src")
