"""`opsbook evidence ...` in a new process, as a new user tries it on a runbook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.process

BOOK = """---
evidence_dir: vault
---
# Web Runbook

### Log Locations

- `logs/app.log`: the application
- `logs/*.gz`: rotated copies
- `logs/missing.log`: not there yet
"""


def opsbook(book: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPSBOOK_USER": "ana", "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("OPSBOOK_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "opsbook", "evidence", *args, "-f", str(book)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=book.parent,
    )


def data(book: Path, *args: str) -> Any:
    done = opsbook(book, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_collect_transfer_verify_export_and_a_tampering_caught(tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(BOOK)
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "app.log").write_text("GET / 200\n")
    (tmp_path / "logs" / "app.log.1.gz").write_bytes(b"\x1f\x8b old")
    added = data(book, "add", "--from-logs", "--incident", "4")
    assert [a["source"] for a in added][-1] == "logs/missing.log"
    assert added[-1]["problem"] == "not found"
    sha = added[0]["record"]["sha256"]
    assert (tmp_path / "vault" / "sha256" / sha[:2] / sha).read_text() == "GET / 200\n"
    moved = data(book, "transfer", sha[:8], "--to", "Joe Ruiz", "--purpose", "forensics")
    assert (moved["from_custodian"], moved["to_custodian"], moved["verified"]) == (
        "ana",
        "Joe Ruiz",
        True,
    )
    shown = data(book, "show", sha[:8])
    assert [r["action"] for r in shown["records"]] == ["collected", "transferred"]
    kept = opsbook(book, "checkpoint")
    assert kept.returncode == 0 and json.loads(kept.stdout)["size"] == 3
    (tmp_path / "kept.json").write_text(kept.stdout)
    assert opsbook(book, "verify", "--checkpoint", "kept.json").returncode == 0
    exported = data(book, "export", "--incident", "4", "-o", "bundle.tar")
    assert exported["items"] == 2 and (tmp_path / "bundle.tar").is_file()
    after = data(book, "show", sha)
    assert after["records"][-1]["action"] == "exported"
    assert after["item"]["custodian"] == "Joe Ruiz"  # a copy left; the evidence did not
    blob = tmp_path / "vault" / "sha256" / sha[:2] / sha
    blob.chmod(0o600)
    blob.write_text("GET / 500\n")
    failed = opsbook(book, "verify")
    assert failed.returncode == 1
    assert f"error: blob sha256/{sha[:2]}/{sha}: its contents hash to" in failed.stderr
    refused = opsbook(book, "transfer", sha, "--to", "x", "--purpose", "y")
    assert refused.returncode == 1 and "no longer matches" in refused.stderr


def test_release_then_dispose_and_verify_expects_the_blob_gone(tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(BOOK)
    (tmp_path / "app.log").write_text("GET / 200\n")
    sha = data(book, "add", "app.log")[0]["record"]["sha256"]
    released = data(book, "release", sha[:8], "--to", "ACME Ltd", "--purpose", "case closed")
    assert (released["action"], released["to_custodian"]) == ("released", "ACME Ltd")
    done = opsbook(book, "dispose", sha[:8], "--purpose", "retention ended")
    assert done.returncode == 0 and "disposed by ana" in done.stdout
    assert not (tmp_path / "vault" / "sha256" / sha[:2] / sha).exists()
    assert opsbook(book, "verify").returncode == 0
    again = opsbook(book, "dispose", sha, "--purpose", "again")
    assert again.returncode == 1 and "disposed of" in again.stderr


def test_a_path_or_hash_that_leaves_is_refused_with_exit_2(tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(BOOK)
    os.symlink("/etc/passwd", tmp_path / "passwd")
    done = opsbook(book, "add", "passwd")
    assert done.returncode == 2 and "symbolic link" in done.stderr
    done = opsbook(book, "show", "../../etc/passwd")
    assert done.returncode == 2 and "is not a SHA-256" in done.stderr
