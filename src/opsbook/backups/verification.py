"""A drill's verification: hash every restored file and judge it against the manifest.

The files are hashed on a few threads at once (hashlib lets go of the GIL while it hashes),
so a drill verifies as fast as the machine's cores read and hash, as `sha256sum` does one
file at a time."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from opsbook.backups.comparison import Verdict, judge
from opsbook.backups.manifest import ManifestEntry, file_sha256

_THREADS = max(1, min(4, os.cpu_count() or 1))


def verify_files(
    wanted: Sequence[ManifestEntry], restored: Mapping[str, Path], problems: Sequence[str]
) -> Verdict:
    """Hash each restored file and judge the wanted entries (an unreadable file is missing)."""
    paths = list(restored)

    def digest(path: str) -> str | None:
        try:
            return file_sha256(restored[path])
        except OSError:
            return None

    with ThreadPoolExecutor(_THREADS) as pool:
        hashes = {
            p: h for p, h in zip(paths, pool.map(digest, paths), strict=True) if h is not None
        }
    return judge(wanted, hashes, problems)
