"""The tar writer: an ordinary archive GNU tar and Python's tarfile read back whole, with
long and non-ASCII names, empty files, symlinks and directories; each file's hash its own."""

from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from opsbook.backups.drivers.archive import walk
from opsbook.backups.tar_stream import TarWriter
from tests.backups.conftest import need


def _tree(root: Path) -> dict[str, bytes]:
    files = {
        "d/short.txt": b"hello\n",
        "d/empty": b"",
        "d/" + "long-name-" * 15 + ".bin": os.urandom(70_000),
        "d/ünïcødé/файл.txt": "данные\n".encode(),
        "d/exact-512": b"x" * 512,
        "d/big": os.urandom(3 * (1 << 20) + 17),
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "d/link").symlink_to("short.txt")
    return files


def _archive(root: Path, out: Path) -> dict[str, str]:
    with out.open("wb") as file:
        writer = TarWriter(file)
        entries = [writer.add(path, name) for path, name in walk(root, ["d"])]
        writer.close()
    return {e.path: e.sha256 for e in entries if e is not None}


def test_python_reads_back_every_member_and_the_manifest_hashes_are_the_files(
    tmp_path: Path,
) -> None:
    files = _tree(tmp_path / "src")
    out = tmp_path / "a.tar"
    hashes = _archive(tmp_path / "src", out)
    assert hashes == {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    assert out.stat().st_size % (20 * 512) == 0
    with tarfile.open(out) as tar:
        read = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]
        link = tar.getmember("d/link")
    assert read == files and link.issym() and link.linkname == "short.txt"


@pytest.mark.process
def test_gnu_tar_lists_and_extracts_the_same(tmp_path: Path) -> None:
    need("tar")
    files = _tree(tmp_path / "src")
    out = tmp_path / "a.tar"
    _archive(tmp_path / "src", out)
    (tmp_path / "x").mkdir()
    subprocess.run(["tar", "-xf", str(out), "-C", str(tmp_path / "x")], check=True)
    for name, data in files.items():
        assert (tmp_path / "x" / name).read_bytes() == data
    assert os.readlink(tmp_path / "x/d/link") == "short.txt"
