"""The custody key: an Ed25519 key made on first use, readable only by its owner.

The private key never leaves the evidence directory; its public half goes into every
export, so anyone can check a checkpoint's signature with `openssl` or any Ed25519 library.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from opsbook.store.private import private_directory

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

PRIVATE = "custody-ed25519.pem"
PUBLIC = "custody-ed25519.pub.pem"


class Keys:
    """The signing key of one evidence directory."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def private(self) -> Ed25519PrivateKey:
        """Return the private key, making it (0600) and its public half on first use."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        path = self.folder / PRIVATE
        if not path.exists():
            self._create()
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 key")
        return key

    def public_pem(self) -> bytes:
        """Return the public key as PEM (SubjectPublicKeyInfo), as openssl reads it."""
        path = self.folder / PUBLIC
        if not path.exists():
            self.private()
        return path.read_bytes()

    def public(self) -> Ed25519PublicKey | None:
        """Return the public key, None when none was made yet."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        path = self.folder / PUBLIC
        if not path.exists():
            return None
        key = serialization.load_pem_public_key(path.read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{path} does not hold an Ed25519 key")
        return key

    def key_id(self) -> str:
        """Return the SHA-256 of the public key's PEM, which names the key in checkpoints."""
        return hashlib.sha256(self.public_pem()).hexdigest()

    def _create(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        private_directory(self.folder)
        key = Ed25519PrivateKey.generate()
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        # The public half first, then the private key by a link that fails if another
        # process made one meanwhile: both then use the one that won.
        _write_new(self.folder / PUBLIC, public, 0o644, replace=True)
        temporary = self.folder / f".{PRIVATE}.{os.getpid()}.{os.urandom(4).hex()}"
        _write_new(temporary, private, 0o600, replace=False)
        try:
            os.link(temporary, self.folder / PRIVATE)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
        own = serialization.load_pem_private_key(
            (self.folder / PRIVATE).read_bytes(), password=None
        ).public_key()
        _write_new(
            self.folder / PUBLIC,
            own.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            0o644,
            replace=True,
        )


def _write_new(path: Path, data: bytes, mode: int, *, replace: bool) -> None:
    temporary = path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp") if replace else path
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(descriptor, data)
        os.fchmod(descriptor, mode)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    if replace:
        os.replace(temporary, path)
