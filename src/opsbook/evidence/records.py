"""Custody records: what one event says, and how it is written as one line of the ledger.

Pure. A line is `<hash> <json>\n`: the record's own hash (the RFC 6962 leaf hash of the JSON
bytes, as written) then the record as compact JSON. The JSON holds the previous record's
hash, so the lines are a hash chain, and the hashes are the leaves of a Merkle tree. The hash
is taken over the bytes as they stand, so a change to any byte of a line changes or breaks it.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple

from opsbook.evidence.merkle import leaf_hash

GENESIS = "0" * 64
HEX64 = re.compile(r"[0-9a-f]{64}")


class Action(StrEnum):
    COLLECTED = "collected"
    TRANSFERRED = "transferred"
    EXAMINED = "examined"
    EXPORTED = "exported"
    RELEASED = "released"
    DISPOSED = "disposed"


@dataclass(frozen=True)
class Event:
    """What happened to one piece of evidence, before it has a place in the ledger."""

    sha256: str
    size: int
    action: Action
    actor: str
    kind: str = "file"
    source: str = ""
    from_custodian: str = ""
    to_custodian: str = ""
    location: str = ""
    purpose: str = ""
    incident: int | None = None
    verified: bool | None = None


@dataclass(frozen=True)
class Record:
    """One line of the ledger: an event with its place, its time and the chain's hashes."""

    seq: int
    sha256: str
    size: int
    action: str
    actor: str
    kind: str
    source: str
    from_custodian: str
    to_custodian: str
    location: str
    purpose: str
    incident: int | None
    verified: bool | None
    time: str
    prev: str
    hash: str = ""


def utc_text(moment: datetime) -> str:
    """Return the moment as the ledger writes it: UTC, microseconds, a trailing Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode(event: Event, *, seq: int, prev: str, now: datetime) -> tuple[Record, bytes]:
    """Return the record an event makes after `prev` and its line, newline included."""
    fields = asdict(event)
    fields["action"] = str(event.action)
    body = {**fields, "seq": seq, "time": utc_text(now), "prev": prev}
    data = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("ascii")
    own = leaf_hash(data).hex()
    return Record(**body, hash=own), own.encode("ascii") + b" " + data + b"\n"


class BadLine(ValueError):
    """A ledger line that is not a well-formed record; the message says what is wrong."""


FIELDS = frozenset(Record.__dataclass_fields__) - {"hash"}


def decode(line: bytes) -> tuple[Record, bytes]:
    """Return the record a line holds and its leaf hash; BadLine saying what is wrong."""
    own, space, data = line.partition(b" ")
    if not space or len(own) != 64:
        raise BadLine("does not start with its hash")
    leaf = leaf_hash(data)
    if leaf.hex().encode() != own:
        raise BadLine("its hash does not match its contents (the record was changed)")
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadLine("is not valid JSON") from None
    if type(body) is not dict or body.keys() != FIELDS:
        raise BadLine("does not hold the fields of a custody record")
    return Record(**body, hash=own.decode("ascii")), leaf


class Entry(NamedTuple):
    """What verify needs of a record: its place in the chain and the evidence it names."""

    seq: int
    sha256: str
    size: int
    kind: str
    prev: str
    hash: str
    action: str


# A record exactly as `encode` writes it (keys sorted, ASCII, no spaces), so a line in this
# form is well-formed JSON with fields of the right types, read without building objects:
# verify walks 100,000 records in well under a second this way. Anything else (or a line
# whose hash does not match) goes the slow way, through `decode`, which says what is wrong.
_STR = rb'"(?:[ !#-\[\]-~]|\\["\\/bfnrt]|\\u[0-9a-f]{4})*"'
_COUNT = rb"(0|[1-9][0-9]*)"
_CANONICAL = re.compile(
    rb'\{"action":"(collected|transferred|examined|exported|released|disposed)",'
    rb'"actor":'
    + _STR
    + rb',"from_custodian":'
    + _STR
    + rb',"incident":(?:null|'
    + _COUNT[1:-1]
    + rb'),"kind":"(file|directory)","location":'
    + _STR
    + rb',"prev":"([0-9a-f]{64})","purpose":'
    + _STR
    + rb',"seq":'
    + _COUNT
    + rb',"sha256":"([0-9a-f]{64})","size":'
    + _COUNT
    + rb',"source":'
    + _STR
    + rb',"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z",'
    rb'"to_custodian":' + _STR + rb',"verified":(?:null|true|false)\}'
)


def quick_entry(line: bytes) -> tuple[Entry, bytes] | None:
    """Return the entry and leaf hash of a canonical, intact line; None for `decode` to judge."""
    own, _, data = line.partition(b" ")
    found = _CANONICAL.fullmatch(data)
    if found is None:
        return None
    leaf = leaf_hash(data)
    text = leaf.hex()
    if text.encode() != own:
        return None
    action, kind, prev, seq, sha256, size = found.groups()
    entry = Entry(
        int(seq), sha256.decode(), int(size), kind.decode(), prev.decode(), text, action.decode()
    )
    return entry, leaf


def entry_of(record: Record) -> Entry:
    """Return what verify needs of a decoded record."""
    return Entry(
        record.seq,
        record.sha256,
        record.size,
        record.kind,
        record.prev,
        record.hash,
        record.action,
    )
