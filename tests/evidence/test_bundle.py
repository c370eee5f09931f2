"""An exported bundle checks out by its README alone: sha256sum, openssl, plain Python."""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from opsbook.evidence import publishing
from opsbook.evidence.place import EvidenceDir
from tests.evidence.conftest import NOW

pytestmark = pytest.mark.process

# A Python without opsbook: the system's, isolated from the environment and user site.
PLAIN_PYTHON = "/usr/bin/python3"


def unpack(bundle: Path, into: Path) -> Path:
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
        tar.extractall(into, filter="data")
    assert all(n.startswith("bundle/") and ".." not in n.split("/") for n in names)
    return into / "bundle"


def readme_steps(folder: Path) -> list[list[str]]:
    """Return the README's steps as commands: sha256sum, openssl, then its Python."""
    text = (folder / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S)
    assert code is not None
    (folder / "check.py").write_text(code.group(1))
    assert "sha256sum -c --strict SHA256SUMS" in text
    assert "openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin" in text
    return [
        ["sha256sum", "-c", "--strict", "SHA256SUMS"],
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "public_key.pem",
            "-rawin",
            "-in",
            "checkpoint.txt",
            "-sigfile",
            "checkpoint.sig",
        ],
        [PLAIN_PYTHON, "-I", "check.py"],
    ]


def run_steps(folder: Path) -> list[subprocess.CompletedProcess[str]]:
    return [
        subprocess.run(
            step,
            cwd=folder,
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin"},
            timeout=60,
        )
        for step in readme_steps(folder)
    ]


@pytest.fixture
def bundle(place: EvidenceDir, tmp_path: Path) -> Path:
    output = tmp_path / "bundle.tar"
    written = publishing.export(place=place, incident=7, output=output, actor="ana", now=NOW)
    assert written.items == 4
    return unpack(output, tmp_path / "out")


def test_an_exported_bundle_verifies_by_its_readme_without_opsbook(bundle: Path) -> None:
    assert shutil.which("sha256sum") and shutil.which("openssl") and Path(PLAIN_PYTHON).exists()
    done = run_steps(bundle)
    assert [d.returncode for d in done] == [0, 0, 0], [d.stdout + d.stderr for d in done]
    assert "Signature Verified Successfully" in done[1].stdout + done[1].stderr
    assert done[2].stdout.startswith("ledger OK: 10 records in the signed tree of 10 records")


def test_a_changed_blob_fails_sha256sum(bundle: Path) -> None:
    blob = next((bundle / "blobs" / "sha256").rglob("*/*"))
    blob.chmod(0o644)
    blob.write_bytes(blob.read_bytes() + b"x")
    assert run_steps(bundle)[0].returncode != 0


def test_a_changed_record_fails_the_readme_python(bundle: Path) -> None:
    ledger = bundle / "ledger.jsonl"
    ledger.write_bytes(ledger.read_bytes().replace(b'"trial"', b'"trail"'))
    done = run_steps(bundle)[2]
    assert done.returncode != 0 and "hash does not match" in done.stderr


def test_a_name_leaving_the_bundle_fails_the_readme_python(bundle: Path) -> None:
    sums = bundle / "SHA256SUMS"
    digest = sums.read_text().split()[0]
    sums.write_text(sums.read_text() + f"{digest}  blobs/sha256/../../etc/passwd\n")
    done = run_steps(bundle)[2]
    assert done.returncode != 0 and "etc/passwd" in done.stderr


def test_a_changed_checkpoint_fails_openssl(bundle: Path) -> None:
    text = bundle / "checkpoint.txt"
    text.write_text(text.read_text().replace("\n10\n", "\n9\n"))
    assert run_steps(bundle)[1].returncode != 0
