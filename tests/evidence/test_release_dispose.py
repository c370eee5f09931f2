"""Release and disposal: recorded after a re-hash; a disposed blob is gone, its records stay,
and verify expects its absence while still catching a blob missing without a disposal."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.errors import Refused
from opsbook.evidence import handling, publishing, service
from opsbook.evidence.place import EvidenceDir
from opsbook.evidence.views import ItemView
from tests.evidence.conftest import NOW


def _item(place: EvidenceDir, source: str) -> ItemView:
    return next(i for i in service.list_items(place=place) if i.source.endswith(source))


def test_a_release_re_hashes_records_and_ends_transfers(place: EvidenceDir) -> None:
    item = _item(place, "app.log")
    record = handling.release(
        place=place, sha256=item.sha256, to="ACME Ltd", purpose="closed", actor="ana", now=NOW
    )
    assert (record.action, record.to_custodian, record.verified) == ("released", "ACME Ltd", True)
    shown = service.show(place=place, sha256=item.sha256).item
    assert (shown.status, shown.custodian) == ("released", "ACME Ltd")
    with pytest.raises(Refused, match="was released"):
        handling.transfer(
            place=place, sha256=item.sha256, to="x", purpose="y", actor="ana", now=NOW
        )
    assert place.vault.path_of(item.sha256).is_file()  # released, not destroyed
    assert service.verify_all(place=place).ok


def test_a_disposed_blob_is_removed_its_records_stay_and_verify_passes(
    place: EvidenceDir,
) -> None:
    item = _item(place, "auth.log")
    record = handling.dispose(
        place=place, sha256=item.sha256[:12], purpose="retention ended", actor="ana", now=NOW
    )
    assert (record.action, record.verified) == ("disposed", True)
    assert not place.vault.path_of(item.sha256).exists()
    shown = service.show(place=place, sha256=item.sha256)
    assert shown.item.status == "disposed"
    assert [r.action for r in shown.records] == [
        "collected",
        "transferred",
        "transferred",
        "disposed",
    ]
    report = service.verify_all(place=place)
    assert report.ok, report.problems
    with pytest.raises(Refused, match="disposed of"):
        handling.examine(place=place, sha256=item.sha256, purpose="", actor="ana", now=NOW)
    with pytest.raises(Refused, match="disposed of"):
        handling.dispose(place=place, sha256=item.sha256, purpose="again", actor="ana", now=NOW)


def test_verify_still_catches_a_blob_missing_without_a_disposal(place: EvidenceDir) -> None:
    disposed, lost = _item(place, "auth.log"), _item(place, "app.log")
    handling.dispose(place=place, sha256=disposed.sha256, purpose="done", actor="ana", now=NOW)
    place.vault.path_of(lost.sha256).unlink()
    problems = [str(p) for p in service.verify_all(place=place).problems]
    assert problems == [f"blob {lost.sha256}: is missing (record 1 collected it)"]


def test_a_blob_left_after_its_disposal_is_named(place: EvidenceDir) -> None:
    item = _item(place, "auth.log")
    path = place.vault.path_of(item.sha256)
    kept = path.read_bytes()
    handling.dispose(place=place, sha256=item.sha256, purpose="done", actor="ana", now=NOW)
    path.write_bytes(kept)  # as if the process died between the record and the removal
    [problem] = service.verify_all(place=place).problems
    assert str(problem).startswith(f"blob {item.sha256}: is still in the vault")


def test_disposing_a_directory_keeps_a_file_other_evidence_still_holds(
    place: EvidenceDir, tmp_path: Path
) -> None:
    tree = _item(place, "etc")
    copy = tmp_path / "passwd"
    copy.write_text("root:x:0:0:root:/root:/bin/bash\n")  # the same bytes as etc/passwd
    [added] = service.add(place=place, paths=[copy], actor="ana", now=NOW)
    assert added.record is not None
    members = {str(e["sha256"]) for e in place.vault.manifest(tree.sha256)}
    handling.dispose(place=place, sha256=tree.sha256, purpose="done", actor="ana", now=NOW)
    assert not place.vault.path_of(tree.sha256).exists()
    assert place.vault.path_of(added.record.sha256).is_file()
    assert [m for m in members if place.vault.path_of(m).exists()] == [added.record.sha256]
    assert service.verify_all(place=place).ok


def test_an_export_leaves_out_disposed_evidence(place: EvidenceDir, tmp_path: Path) -> None:
    item = _item(place, "auth.log")
    handling.dispose(place=place, sha256=item.sha256, purpose="done", actor="ana", now=NOW)
    written = publishing.export(
        place=place, incident=7, output=tmp_path / "b.tar", actor="ana", now=NOW
    )
    assert written.items == 3
