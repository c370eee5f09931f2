"""Names in the vault and in bundles: hashes, blob paths, and names that stay inside.

Pure. A blob's name is its SHA-256, never a name a person chose; a relative name read from
a manifest or a bundle is refused when it could reach outside (`..`, absolute, NUL).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from opsbook.errors import BadInput

HASH = re.compile(r"[0-9a-f]{64}")
PREFIX = re.compile(r"[0-9a-f]{4,64}")


def blob_name(sha256: str) -> str:
    """Return where a blob lives under the vault: `sha256/ab/abcdef…`."""
    if not HASH.fullmatch(sha256):
        raise BadInput(f'"{sha256}" is not a SHA-256 (64 lowercase hex digits)')
    return f"sha256/{sha256[:2]}/{sha256}"


def hash_prefix(text: str) -> str:
    """Return a hash or its prefix as typed, lowercased; BadInput if it is not one."""
    wanted = text.strip().lower()
    if not PREFIX.fullmatch(wanted):
        raise BadInput(
            f'"{text}" is not a SHA-256 or its prefix',
            "give at least 4 hex digits, as `opsbook evidence list` shows them",
        )
    return wanted


def inside_name(name: str) -> str:
    """Return a relative name that stays inside its folder; BadInput if it could leave."""
    path = PurePosixPath(name)
    if (
        not name
        or "\x00" in name
        or "\\" in name
        or path.is_absolute()
        or any(part in ("..", ".", "") for part in name.split("/"))
    ):
        raise BadInput(f'"{name}" is not a name inside the vault (absolute, empty or with "..")')
    return name
