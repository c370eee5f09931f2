"""Every change to a blob, a record or a checkpoint is caught by verify, which names it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from opsbook.errors import Refused
from opsbook.evidence import handling, publishing, service
from opsbook.evidence.place import EvidenceDir
from opsbook.evidence.records import Action, Event, Record, decode, encode, quick_entry
from opsbook.evidence.verify import Report
from tests.evidence.conftest import NOW, filled

MUTATIONS = 1000


@contextmanager
def changed(path: Path, data: bytes) -> Iterator[None]:
    """Hold `data` in the file for the block, then put the original back, mode and all."""
    original, mode = path.read_bytes(), path.stat().st_mode
    path.chmod(0o600)
    path.write_bytes(data)
    try:
        yield
    finally:
        path.write_bytes(original)
        path.chmod(mode)


def first(report: Report) -> str:
    assert not report.ok, "verify found nothing wrong"
    return str(report.problems[0])


def test_a_thousand_single_byte_changes_are_each_caught_and_named(tmp_path: Path) -> None:
    place = filled(tmp_path / "vault", tmp_path / "src")
    assert service.verify_all(place=place).ok
    blobs = [p for p in place.vault.blobs() if p.stat().st_size]
    targets: list[tuple[Path, str]] = [(b, "blob") for b in blobs]
    targets += [(place.ledger.path, "record"), (place.checkpoints, "checkpoint")]
    chance = random.Random(15)
    for _ in range(MUTATIONS):
        path, kind = chance.choice(targets)
        data = bytearray(path.read_bytes())
        offset = chance.randrange(len(data))
        data[offset] = chance.choice([b for b in range(256) if b != data[offset]])
        line = path.read_bytes()[:offset].count(b"\n")
        expected = {
            "blob": f"blob sha256/{path.parent.name}/{path.name}:",
            "record": f"record {line}:",
            "checkpoint": f"checkpoint {line}:",
        }[kind]
        with changed(path, bytes(data)):
            problem = first(service.verify_all(place=place))
        assert problem.startswith(expected), (kind, offset, problem)
    assert service.verify_all(place=place).ok


def lines(place: EvidenceDir) -> list[bytes]:
    return place.ledger.path.read_bytes().splitlines(keepends=True)


def test_a_deleted_record_is_caught(place: EvidenceDir) -> None:
    kept = lines(place)
    place.ledger.path.write_bytes(b"".join(kept[:1] + kept[2:]))
    assert first(service.verify_all(place=place)).startswith("record 1: has sequence number 2")


def test_the_last_record_deleted_is_caught_by_the_checkpoint(place: EvidenceDir) -> None:
    kept = lines(place)
    place.ledger.path.write_bytes(b"".join(kept[:-1]))
    problem = first(service.verify_all(place=place))
    assert problem.startswith("checkpoint 1: covers 6 records but the ledger has 5")


def test_reordered_records_are_caught(place: EvidenceDir) -> None:
    kept = lines(place)
    kept[2], kept[3] = kept[3], kept[2]
    place.ledger.path.write_bytes(b"".join(kept))
    assert first(service.verify_all(place=place)).startswith("record 2: has sequence number 3")


def test_an_inserted_record_is_caught(place: EvidenceDir) -> None:
    kept = lines(place)
    record, _ = decode(kept[2].rstrip(b"\n"))
    event = service.show(place=place, sha256=record.sha256).records[0]
    forged = encode(_event_of(event), seq=3, prev=record.hash, now=NOW + timedelta(minutes=1))[1]
    place.ledger.path.write_bytes(b"".join([*kept[:3], forged, *kept[3:]]))
    assert first(service.verify_all(place=place)).startswith("record 4: has sequence number 3")


def _event_of(record: Record) -> Event:
    return Event(sha256=record.sha256, size=record.size, action=Action.RELEASED, actor="mallory")


def rewrite(place: EvidenceDir, at: int, purpose: str) -> None:
    """Rewrite record `at` and re-chain everything after it, as someone with the files would."""
    kept = [decode(line.rstrip(b"\n"))[0] for line in lines(place)]
    out: list[bytes] = []
    prev = kept[at - 1].hash if at else "0" * 64
    head = lines(place)[:at]
    for record in kept[at:]:
        fields = {k: v for k, v in vars(record).items() if k not in ("seq", "time", "prev", "hash")}
        if record.seq == at:
            fields["purpose"] = purpose
        fields["action"] = Action(fields["action"])
        new, line = encode(Event(**fields), seq=record.seq, prev=prev, now=NOW)
        out.append(line)
        prev = new.hash
    place.ledger.path.write_bytes(b"".join(head + out))


def test_a_rewritten_history_is_caught_against_a_kept_checkpoint(place: EvidenceDir) -> None:
    outside = publishing.checkpoint(place=place, now=NOW).line.encode() + b"\n"
    rewrite(place, 1, "nothing happened")
    # Whoever rewrote it also holds the key: drops the kept checkpoints and signs anew.
    place.checkpoints.unlink()
    publishing.checkpoint(place=place, now=NOW)
    assert service.verify_all(place=place).ok
    report = service.verify_all(place=place, outside=[("kept checkpoint k.json", outside)])
    assert first(report) == (
        "kept checkpoint k.json: its root does not match the ledger's first 6 records "
        "(the history was rewritten)"
    )


def test_a_rewritten_history_is_caught_against_the_checkpoints_kept_inside(
    place: EvidenceDir,
) -> None:
    rewrite(place, 4, "forged")
    assert first(service.verify_all(place=place)).startswith(
        "checkpoint 1: its root does not match the ledger's first 6 records"
    )


def test_a_torn_record_is_reported_and_blocks_appends_until_repaired(place: EvidenceDir) -> None:
    item = service.list_items(place=place)[1]
    with place.ledger.path.open("ab") as out:
        out.write(b'ab12 {"seq":')
    assert first(service.verify_all(place=place)).startswith("record 6: is torn")
    with pytest.raises(Refused, match="torn"):
        handling.transfer(place=place, sha256=item.sha256, to="x", purpose="y", actor="a", now=NOW)
    assert service.repair(place=place, now=NOW) == 12
    assert service.verify_all(place=place).ok
    handling.transfer(place=place, sha256=item.sha256, to="x", purpose="y", actor="a", now=NOW)
    assert service.verify_all(place=place).ok


def test_records_with_any_text_verify_the_quick_way_and_the_slow_way_alike(tmp_path: Path) -> None:
    place = EvidenceDir(tmp_path / "vault")
    odd = 'Zoë "zo" \\ \t\n\x7f ☃ 𝄞 </script>'
    events = [
        Event(sha256="a" * 64, size=1, action=Action.EXAMINED, actor=odd, purpose=odd),
        Event(sha256="b" * 64, size=2, action=Action.EXAMINED, actor="x", kind="disk image"),
    ]
    place.ledger.append(events, NOW)
    lines = place.ledger.path.read_bytes().splitlines()
    assert quick_entry(lines[0]) is not None and quick_entry(lines[1]) is None
    report = service.verify_all(place=place, blobs=False)
    assert report.ok and report.records == 2
    assert [r.actor for r in place.ledger.records()] == [odd, "x"]


def test_every_spelling_of_a_signatures_last_character_but_its_own_is_caught(
    place: EvidenceDir,
) -> None:
    text = place.checkpoints.read_bytes()
    signature = text.index(b'"signature":"') + len(b'"signature":"')
    last = text.index(b'"', signature) - 3  # the last character before the == padding
    for value in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/":
        if value == text[last]:
            continue
        mutated = text[:last] + bytes([value]) + text[last + 1 :]
        with changed(place.checkpoints, mutated):
            assert first(service.verify_all(place=place)).startswith("checkpoint 0:")
