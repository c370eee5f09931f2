"""Check an evidence directory: every blob re-hashed, the chain walked, every checkpoint.

Reads only; reports every problem it finds in order (the ledger, then the checkpoints,
then the blobs), each naming the record, checkpoint or blob and what is wrong with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from opsbook.errors import BadInput
from opsbook.evidence import checkpoints
from opsbook.evidence.checkpoints import Checkpoint
from opsbook.evidence.custody_states import Custody, after
from opsbook.evidence.ledger import Ledger
from opsbook.evidence.merkle import RootAccumulator
from opsbook.evidence.names import HASH
from opsbook.evidence.records import (
    GENESIS,
    Action,
    BadLine,
    Entry,
    Record,
    decode,
    entry_of,
    quick_entry,
)
from opsbook.evidence.signing import Keys
from opsbook.evidence.vault import Vault, rehash

ACTIONS = frozenset(str(a) for a in Action)


@dataclass(frozen=True)
class Problem:
    """One thing wrong: where (`record 12`, `blob sha256/ab/…`, `checkpoint 3`) and what."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass(frozen=True)
class Report:
    """What verify checked and what it found wrong (nothing, when `ok`)."""

    records: int
    root: str
    checkpoints: int
    blobs: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Walk:
    """The state of the walk along the ledger."""

    good: int = 0
    broken: bool = False
    prev: str = GENESIS


def verify(
    *,
    vault: Vault,
    ledger: Ledger,
    kept: Path,
    keys: Keys,
    outside: Sequence[tuple[str, bytes]] = (),
    blobs: bool = True,
) -> Report:
    """Verify the directory, and checkpoints kept outside it (label, JSON line) if given."""
    problems: list[Problem] = []
    marks = _read_checkpoints(kept, problems)
    extra = []
    for label, data in outside:
        try:
            extra.append((label, checkpoints.parse(data)))
        except ValueError as exc:
            raise BadInput(f"{label} {exc}") from None
    wanted = {c.size for _, c in marks + extra}
    roots: dict[int, str] = {}
    accumulator = RootAccumulator()
    walk = _Walk()
    named: dict[str, Entry] = {}
    states: dict[str, Custody] = {}
    disposals: dict[str, int] = {}
    if 0 in wanted:
        roots[0] = accumulator.root().hex()
    for number, line in enumerate(ledger.lines()):
        checked = _check_line(number, line, walk, problems)
        if checked is None:
            break
        record, leaf = checked
        accumulator.add(leaf)
        named.setdefault(record.sha256, record)
        state = states[record.sha256] = after(
            states.get(record.sha256, Custody.HELD), record.action
        )
        if state is Custody.DISPOSED:
            disposals[record.sha256] = record.seq
        if accumulator.size in wanted:
            roots[accumulator.size] = accumulator.root().hex()
    public = keys.public()
    key_id = keys.key_id() if public is not None else ""
    for label, mark in marks + extra:
        problems += _check_mark(label, mark, public, key_id, walk, roots)
    count = 0
    if blobs:
        gone = {h: disposals[h] for h, s in states.items() if s is Custody.DISPOSED}
        count = _check_blobs(vault, named, gone, problems)
    return Report(walk.good, accumulator.root().hex(), len(marks), count, tuple(problems))


def _check_line(
    number: int, line: bytes, walk: _Walk, problems: list[Problem]
) -> tuple[Entry, bytes] | None:
    where = f"record {number}"
    if not line.endswith(b"\n"):
        problems.append(Problem(where, "is torn (a write cut short); `repair` sets it aside"))
        walk.broken = True
        return None
    quick = quick_entry(line[:-1])
    if quick is not None:
        record, leaf = quick
        what = None
    else:
        try:
            decoded, leaf = decode(line[:-1])
        except BadLine as exc:
            problems.append(Problem(where, str(exc)))
            walk.broken = True
            return None
        what = _wrong_fields(decoded)
        record = entry_of(decoded)
    if what is None and record.seq != number:
        what = f"has sequence number {record.seq} (a record was deleted, inserted or moved)"
    if what is None and record.prev != walk.prev:
        what = f"does not follow record {number - 1}: its previous hash is {record.prev}"
    if what is not None:
        problems.append(Problem(where, what))
        walk.broken = True
        return None
    walk.good, walk.prev = number + 1, record.hash
    return record, leaf


def _wrong_fields(record: Record) -> str | None:
    r = record
    # `type(...) is str` one by one: this runs once per record, 100,000 times in a second.
    if not (
        type(r.actor) is str
        and type(r.kind) is str
        and type(r.source) is str
        and type(r.from_custodian) is str
        and type(r.to_custodian) is str
        and type(r.location) is str
        and type(r.purpose) is str
        and type(r.time) is str
    ):
        return "has a field that is not text"
    if type(r.sha256) is not str or not HASH.fullmatch(r.sha256):
        return "names no SHA-256"
    if type(r.seq) is not int or type(r.size) is not int or r.size < 0:
        return "has a sequence number or size that is not a count"
    if r.action not in ACTIONS:
        return f'has an unknown action "{r.action}"'
    return None


def _read_checkpoints(kept: Path, problems: list[Problem]) -> list[tuple[str, Checkpoint]]:
    marks: list[tuple[str, Checkpoint]] = []
    if not kept.exists():
        return marks
    with kept.open("rb") as source:
        for number, data in enumerate(source):
            where = f"checkpoint {number}"
            if not data.endswith(b"\n"):
                problems.append(Problem(where, "is torn (a write cut short)"))
                continue
            try:
                marks.append((where, checkpoints.parse(data)))
            except ValueError as exc:
                problems.append(Problem(where, str(exc)))
    return marks


def _check_mark(
    label: str,
    mark: Checkpoint,
    public: object,
    key_id: str,
    walk: _Walk,
    roots: dict[int, str],
) -> Iterable[Problem]:
    if public is None:
        yield Problem(label, "cannot be checked: the custody key's public half is missing")
        return
    if mark.key != key_id:
        yield Problem(label, f"is signed by another key ({mark.key[:12]}…)")
        return
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    assert isinstance(public, Ed25519PublicKey)
    if not checkpoints.signature_holds(mark, public):
        yield Problem(label, "its signature does not hold (the checkpoint was changed)")
    elif mark.size > walk.good:
        state = "is broken" if walk.broken else "has"
        yield Problem(
            label,
            f"covers {mark.size} records but the ledger {state} {walk.good} good ones "
            "(records were removed or changed)",
        )
    elif roots.get(mark.size) != mark.root:
        yield Problem(
            label,
            f"its root does not match the ledger's first {mark.size} records "
            "(the history was rewritten)",
        )


def _check_blobs(
    vault: Vault, named: dict[str, Entry], gone: dict[str, int], problems: list[Problem]
) -> int:
    """Re-hash every blob; name each one missing, unless a record disposed of it."""
    count = 0
    seen = set()
    for path in vault.blobs():
        count += 1
        name = f"blob sha256/{path.parent.name}/{path.name}"
        if not HASH.fullmatch(path.name) or path.parent.name != path.name[:2]:
            problems.append(Problem(name, "is not named by a SHA-256 in its folder"))
            continue
        seen.add(path.name)
        try:
            digest, size = rehash(path)
        except OSError as exc:
            problems.append(Problem(name, f"cannot be read: {exc.strerror or exc}"))
            continue
        if digest != path.name:
            problems.append(Problem(name, f"its contents hash to {digest} (it was changed)"))
        elif path.name in named and named[path.name].size != size:
            problems.append(Problem(name, f"is {size} bytes, its record says otherwise"))
    kept: set[str] = set()  # blobs that evidence still held names
    for sha256, record in named.items():
        if sha256 in gone:
            continue
        kept.add(sha256)
        if sha256 not in seen:
            problems.append(
                Problem(f"blob {sha256}", f"is missing (record {record.seq} collected it)")
            )
        elif record.kind == "directory":
            problems += _check_manifest(vault, sha256, seen, kept)
    problems += [
        Problem(f"blob {sha256}", f"is still in the vault, though record {seq} disposed of it")
        for sha256, seq in gone.items()
        if sha256 in seen and sha256 not in kept
    ]
    return count


def _check_manifest(vault: Vault, sha256: str, seen: set[str], kept: set[str]) -> list[Problem]:
    try:
        entries = vault.manifest(sha256)
    except BadInput as exc:
        return [Problem(f"blob {sha256}", exc.message)]
    kept |= {str(entry["sha256"]) for entry in entries if "sha256" in entry}
    return [
        Problem(f"blob {sha256}", f"lists {entry.get('path')} as {entry['sha256']}, missing")
        for entry in entries
        if "sha256" in entry and entry["sha256"] not in seen
    ]
