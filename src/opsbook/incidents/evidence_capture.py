"""Capture the logs of a security incident into the evidence folder.

Each file is stored under its SHA-256 (never under a name someone typed), so nobody can swap
one unnoticed, recording name, hash and size; a missing file is noted, not fatal. It sits with
incidents until the evidence domain exists.
"""

from __future__ import annotations

import glob
import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from opsbook.evidence.logs import log_paths
from opsbook.store.private import private_directory

__all__ = ["Captured", "capture_all", "capture_file", "log_paths"]

CHUNK = 1 << 20


@dataclass(frozen=True)
class Captured:
    """One file as captured, or why it could not be."""

    source: str
    sha256: str | None = None
    size: int | None = None
    stored_as: str | None = None
    problem: str | None = None


def capture_file(source: Path, vault: Path) -> Captured:
    """Copy one file into the vault as `<sha256>`, hashing while copying."""
    shown = str(source)
    if not source.exists():
        return Captured(shown, problem="not found")
    if source.is_dir():
        return Captured(shown, problem="is a directory; name the files in it to capture them")
    private_directory(vault)
    digest = hashlib.sha256()
    size = 0
    handle, temp = tempfile.mkstemp(prefix=".capture-", dir=vault)
    try:
        with source.open("rb") as src, os.fdopen(handle, "wb") as out:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        name = digest.hexdigest()
        target = vault / name
        if target.exists():
            os.unlink(temp)  # the same bytes are already in the vault
        else:
            os.chmod(temp, 0o400)
            os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        return Captured(shown, problem=f"could not be read: {exc.strerror or exc}")
    return Captured(shown, name, size, str(target))


def capture_all(paths: Sequence[str], base: Path, vault: Path) -> list[Captured]:
    """Capture every file the paths name (relative ones from `base`; globs expanded)."""
    out: list[Captured] = []
    for written in paths:
        path = Path(os.path.expanduser(written))
        full = path if path.is_absolute() else base / path
        if glob.has_magic(str(full)):
            matches = sorted(glob.glob(str(full)))
            if not matches:
                out.append(Captured(written, problem="no file matches"))
            out += [capture_file(Path(m), vault) for m in matches]
        else:
            found = capture_file(full, vault)
            out.append(Captured(written, found.sha256, found.size, found.stored_as, found.problem))
    return out
