"""The evidence vault over the API: metadata to viewers, blobs and transfers to admins only,
and every blob read recorded in its custody."""

from __future__ import annotations

import io
import tarfile
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from opsbook.evidence import service
from opsbook.evidence.place import EvidenceDir, evidence_root
from opsbook.web.state import AppState
from tests.web.conftest import bearer


def _collected(state: AppState, tmp_path: Path) -> tuple[EvidenceDir, str]:
    runbook = state.source.runbook
    place = EvidenceDir(evidence_root(Path(runbook.path), runbook.settings, state.environ))
    log = tmp_path / "auth.log"
    log.write_bytes(b"Dec 2 sshd: Failed password for root\n")
    record = service.add(place=place, paths=[log], actor="ana", now=datetime.now(UTC), incident=5)[
        0
    ].record
    assert record is not None
    return place, record.sha256


def test_viewers_see_metadata_and_custody_but_not_the_bytes(
    client: TestClient, tokens: dict[str, str], state: AppState, tmp_path: Path
) -> None:
    _, digest = _collected(state, tmp_path)
    assert client.get("/api/v1/evidence").status_code == 401
    viewer = bearer(tokens["viewer"])
    [item] = client.get("/api/v1/evidence?incident=5", headers=viewer).json()
    assert (item["sha256"], item["custodian"], item["incident"]) == (digest, "ana", 5)
    assert client.get("/api/v1/evidence?incident=6", headers=viewer).json() == []
    shown = client.get(f"/api/v1/evidence/{digest[:8]}", headers=viewer).json()
    assert [r["action"] for r in shown["records"]] == ["collected"]
    assert client.get(f"/api/v1/evidence/{digest}/blob", headers=viewer).status_code == 403
    moved = client.post(
        f"/api/v1/evidence/{digest}/transfer", headers=viewer, json={"to": "x", "purpose": "y"}
    )
    assert moved.status_code == 403


def test_an_admins_read_is_an_examined_event_and_a_transfer_re_hashes(
    client: TestClient, tokens: dict[str, str], state: AppState, tmp_path: Path
) -> None:
    place, digest = _collected(state, tmp_path)
    admin = bearer(tokens["admin"])
    blob = client.get(f"/api/v1/evidence/{digest}/blob", headers=admin)
    assert blob.status_code == 200 and blob.content == b"Dec 2 sshd: Failed password for root\n"
    moved = client.post(
        f"/api/v1/evidence/{digest[:10]}/transfer",
        headers=admin,
        json={"to": "Joe Ruiz", "purpose": "forensics"},
    )
    assert moved.status_code == 200 and moved.json()["verified"] is True
    records = service.show(place=place, sha256=digest).records
    assert [(r.action, r.actor, r.to_custodian) for r in records] == [
        ("collected", "ana", "ana"),
        ("examined", "admin-user", "ana"),
        ("transferred", "admin-user", "Joe Ruiz"),
    ]
    assert service.verify_all(place=place).ok


def test_a_hash_that_is_a_path_or_unknown_is_refused(
    client: TestClient, tokens: dict[str, str]
) -> None:
    viewer = bearer(tokens["viewer"])
    assert client.get("/api/v1/evidence/..%2F..%2Fetc", headers=viewer).status_code in (404, 422)
    assert client.get("/api/v1/evidence/zz99", headers=viewer).status_code == 422
    assert client.get("/api/v1/evidence/" + "a" * 64, headers=viewer).status_code == 404


def test_an_admin_verifies_and_exports_a_bundle_over_the_api(
    client: TestClient, tokens: dict[str, str], state: AppState, tmp_path: Path
) -> None:
    place, digest = _collected(state, tmp_path)
    admin = bearer(tokens["admin"])
    checked = client.get("/api/v1/evidence-verify", headers=admin).json()
    assert checked["ok"] is True and checked["records"] == 1 and checked["problems"] == []
    bundle = client.get("/api/v1/incidents/5/evidence.tar", headers=admin)
    assert bundle.status_code == 200
    assert bundle.headers["content-type"] == "application/x-tar"
    with tarfile.open(fileobj=io.BytesIO(bundle.content)) as tar:
        assert f"bundle/blobs/sha256/{digest[:2]}/{digest}" in tar.getnames()
    assert list(place.vault.temporary.iterdir()) == []  # the tar was sent, then removed
    assert client.get("/api/v1/incidents/6/evidence.tar", headers=admin).status_code == 404
    blob = place.vault.path_of(digest)
    blob.chmod(0o600)
    blob.write_bytes(b"swapped")
    checked = client.get("/api/v1/evidence-verify", headers=admin).json()
    assert checked["ok"] is False
    assert checked["problems"][0].startswith(f"blob sha256/{digest[:2]}/{digest}:")


def test_only_an_admin_releases_or_disposes_and_verify_expects_the_disposed_blob_gone(
    client: TestClient, tokens: dict[str, str], state: AppState, tmp_path: Path
) -> None:
    place, digest = _collected(state, tmp_path)
    viewer, admin = bearer(tokens["viewer"]), bearer(tokens["admin"])
    release = f"/api/v1/evidence/{digest}/release"
    dispose = f"/api/v1/evidence/{digest}/dispose"
    assert client.post(release, headers=viewer, json={"to": "x", "purpose": "y"}).status_code == 403
    assert client.post(dispose, headers=viewer, json={"purpose": "y"}).status_code == 403
    assert client.post(dispose, headers=admin, json={"purpose": ""}).status_code == 422
    released = client.post(release, headers=admin, json={"to": "ACME", "purpose": "closed"})
    assert released.status_code == 200 and released.json()["action"] == "released"
    disposed = client.post(dispose, headers=admin, json={"purpose": "retention ended"})
    assert disposed.status_code == 200 and disposed.json()["verified"] is True
    assert not place.vault.path_of(digest).exists()
    shown = client.get(f"/api/v1/evidence/{digest}", headers=viewer).json()
    assert shown["item"]["status"] == "disposed"
    assert [r["action"] for r in shown["records"]] == ["collected", "released", "disposed"]
    assert client.get("/api/v1/evidence-verify", headers=admin).json()["ok"] is True
    assert client.get(f"/api/v1/evidence/{digest}/blob", headers=admin).status_code == 409
