"""Token and password material: random secrets, their hashes, constant-time checks."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "opsb_"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def new_token() -> str:
    """Return a new API token: a prefix and 32 random bytes, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_secret() -> str:
    """Return 32 random bytes, URL-safe (session ids, CSRF tokens)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Return the SHA-256 hex digest that is stored in place of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    """Compare two secrets in constant time."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def hash_password(password: str, salt: bytes | None = None) -> str:
    """Return `scrypt$<salt hex>$<hash hex>` for a password."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Say whether a password matches a stored scrypt hash, in constant time."""
    try:
        scheme, salt_hex, _ = stored.split("$", 2)
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return scheme == "scrypt" and same(hash_password(password, salt), stored)
