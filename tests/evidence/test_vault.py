"""The vault stores by SHA-256, whole, and never leaves what it was asked for."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from opsbook.errors import BadInput, NotFound
from opsbook.evidence import handling, service
from opsbook.evidence.names import blob_name, hash_prefix, inside_name
from opsbook.evidence.place import EvidenceDir, evidence_root
from tests.evidence.conftest import NOW


def test_a_file_is_stored_under_its_hash_read_only(tmp_path: Path) -> None:
    source = tmp_path / "auth.log"
    source.write_bytes(b"x" * 3_000_000)
    place = EvidenceDir(tmp_path / "vault")
    added = service.add(place=place, paths=[source], actor="ana", now=NOW)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    stored = tmp_path / "vault" / "sha256" / digest[:2] / digest
    assert added[0].record is not None and added[0].record.sha256 == digest
    assert stored.read_bytes() == source.read_bytes()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o400
    assert list((tmp_path / "vault" / "tmp").iterdir()) == []


def test_a_directory_is_stored_as_a_manifest_of_its_files(tmp_path: Path) -> None:
    tree = tmp_path / "etc"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.conf").write_text("a\n")
    (tree / "sub" / "b.conf").write_text("b\n")
    os.symlink("../a.conf", tree / "sub" / "link")
    place = EvidenceDir(tmp_path / "vault")
    record = service.add(place=place, paths=[tree], actor="ana", now=NOW)[0].record
    assert record is not None and record.kind == "directory"
    entries = place.vault.manifest(record.sha256)
    assert [e["path"] for e in entries] == ["a.conf", "sub/b.conf", "sub/link"]
    assert entries[2] == {"path": "sub/link", "link": "../a.conf"}
    assert place.vault.path_of(str(entries[1]["sha256"])).read_text() == "b\n"
    manifest = json.loads(place.vault.path_of(record.sha256).read_bytes())
    assert manifest["kind"] == "opsbook-evidence-directory/1"


def test_a_symbolic_link_is_never_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s")
    os.symlink(secret, tmp_path / "log")
    place = EvidenceDir(tmp_path / "vault")
    with pytest.raises(BadInput, match="symbolic link"):
        service.add(place=place, paths=[tmp_path / "log"], actor="ana", now=NOW)


def test_a_link_out_of_the_directory_is_refused_and_nothing_recorded(tmp_path: Path) -> None:
    tree = tmp_path / "logs"
    tree.mkdir()
    (tree / "ok.log").write_text("fine")
    os.symlink("/etc/passwd", tree / "escape")
    place = EvidenceDir(tmp_path / "vault")
    with pytest.raises(BadInput, match="outside what was asked for"):
        service.add(place=place, paths=[tree], actor="ana", now=NOW)
    assert service.list_items(place=place) == []


def test_a_missing_path_leaves_nothing_added(tmp_path: Path) -> None:
    good = tmp_path / "good.log"
    good.write_text("g")
    place = EvidenceDir(tmp_path / "vault")
    with pytest.raises(BadInput, match="no such file"):
        service.add(place=place, paths=[good, tmp_path / "missing"], actor="ana", now=NOW)
    assert list(place.vault.blobs()) == []


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "a/../../b", "", "a//b", "./a", "a\x00b"])
def test_names_that_could_leave_are_refused(name: str) -> None:
    with pytest.raises(BadInput):
        inside_name(name)


@pytest.mark.parametrize("text", ["../../etc/passwd", "abc", "zzzz", "/" + "a" * 64])
def test_a_hash_that_is_a_path_is_refused(text: str, place: EvidenceDir) -> None:
    with pytest.raises(BadInput):
        hash_prefix(text)
    with pytest.raises(BadInput):
        blob_name(text)
    with pytest.raises(BadInput):
        service.show(place=place, sha256=text)


def test_show_names_an_unknown_hash(place: EvidenceDir) -> None:
    with pytest.raises(NotFound):
        service.show(place=place, sha256="f" * 64)


def test_the_evidence_directory_comes_from_the_front_matter(tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    assert evidence_root(book, {}, {}) == tmp_path / ".opsbook" / "evidence"
    assert evidence_root(book, {}, {"OPSBOOK_HOME": "/srv/ops"}) == Path("/srv/ops/evidence")
    assert evidence_root(book, {"evidence_dir": "ev"}, {}) == tmp_path / "ev"
    assert evidence_root(book, {"evidence_dir": "/srv/e"}, {}) == Path("/srv/e")
    with pytest.raises(BadInput, match="evidence_dir"):
        evidence_root(book, {"evidence_dir": 3}, {})


def test_the_signing_key_is_owner_only(place: EvidenceDir) -> None:
    key = place.keys.folder / "custody-ed25519.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_a_transfer_of_a_changed_blob_is_refused_and_not_recorded(place: EvidenceDir) -> None:
    item = service.list_items(place=place)[0]
    blob = place.vault.path_of(item.sha256)
    blob.chmod(0o600)
    blob.write_bytes(b"swapped")
    before = len(service.show(place=place, sha256=item.sha256).records)
    with pytest.raises(Exception, match="no longer matches"):
        handling.transfer(place=place, sha256=item.sha256, to="x", purpose="y", actor="a", now=NOW)
    assert len(service.show(place=place, sha256=item.sha256).records) == before


def test_a_directory_holding_the_vault_is_refused_and_from_logs_goes_on(tmp_path: Path) -> None:
    state = tmp_path / ".opsbook"
    place = EvidenceDir(state / "evidence")
    (tmp_path / "app.log").write_text("up\n")
    (state / "runs.db").parent.mkdir(parents=True)
    (state / "runs.db").write_text("x")
    with pytest.raises(BadInput, match="holds the evidence vault itself"):
        service.add(place=place, paths=[state], actor="ana", now=NOW)
    added = service.add_from_logs(
        place=place,
        log_locations=["`app.log`: the app", "`.opsbook/`: opsbook's records", "`gone.log`"],
        base=tmp_path,
        actor="ana",
        now=NOW,
    )
    assert [(a.source.rsplit("/", 1)[-1], bool(a.record)) for a in added] == [
        ("app.log", True),
        (".opsbook", False),
        ("gone.log", False),
    ]
    assert "holds the evidence vault itself" in added[1].problem
