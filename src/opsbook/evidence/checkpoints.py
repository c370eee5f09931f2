"""Checkpoints: the ledger's head (size, root, time) signed with the custody key.

Pure, but for the signature calls. The signed text is plain lines, so `openssl pkeyutl
-verify -rawin` checks it as well as any Ed25519 library; a kept checkpoint is one JSON line,
written in one canonical form, so a changed byte anywhere in it is caught.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from opsbook.evidence.records import HEX64

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

HEADER = "opsbook-evidence-checkpoint/1"


@dataclass(frozen=True)
class Checkpoint:
    """A signed head of the ledger: how many records, their Merkle root, when, by which key."""

    size: int
    root: str
    time: str
    key: str
    signature: str


def message(size: int, root: str, time: str) -> bytes:
    """Return the bytes a checkpoint's signature covers."""
    return f"{HEADER}\n{size}\n{root}\n{time}\n".encode("ascii")


def sign(key: Ed25519PrivateKey, key_id: str, *, size: int, root: str, time: str) -> Checkpoint:
    """Return the checkpoint of this head, signed."""
    signature = key.sign(message(size, root, time))
    return Checkpoint(size, root, time, key_id, base64.b64encode(signature).decode("ascii"))


def line(checkpoint: Checkpoint) -> bytes:
    """Return the checkpoint as its one canonical JSON line."""
    return json.dumps(asdict(checkpoint), sort_keys=True, separators=(",", ":")).encode() + b"\n"


def parse(data: bytes) -> Checkpoint:
    """Return the checkpoint a line holds; ValueError saying what is wrong with it."""
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("is not valid JSON") from None
    if not isinstance(body, dict) or set(body) != set(Checkpoint.__dataclass_fields__):
        raise ValueError("does not hold the fields of a checkpoint")
    try:
        checkpoint = Checkpoint(**body)
    except TypeError:
        raise ValueError("does not hold the fields of a checkpoint") from None
    if (
        not isinstance(checkpoint.size, int)
        or isinstance(checkpoint.size, bool)
        or checkpoint.size < 0
        or not isinstance(checkpoint.root, str)
        or not HEX64.fullmatch(checkpoint.root)
        or not isinstance(checkpoint.time, str)
        or not isinstance(checkpoint.key, str)
        or not isinstance(checkpoint.signature, str)
    ):
        raise ValueError("has a field of the wrong form")
    # Base64 leaves spare bits in its last character: a signature is held to its one
    # canonical spelling, or a changed character there would go unnoticed.
    try:
        raw = base64.b64decode(checkpoint.signature, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("has a signature that is not base64") from None
    if len(raw) != 64 or base64.b64encode(raw).decode() != checkpoint.signature:
        raise ValueError("has a signature that is not written in its canonical form")
    if line(checkpoint) != data.rstrip(b"\n") + b"\n":
        raise ValueError("is not written in its canonical form (it was changed)")
    return checkpoint


def signature_holds(checkpoint: Checkpoint, key: Ed25519PublicKey) -> bool:
    """Say whether the checkpoint's signature is the key's over its size, root and time."""
    from cryptography.exceptions import InvalidSignature

    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
        key.verify(signature, message(checkpoint.size, checkpoint.root, checkpoint.time))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
