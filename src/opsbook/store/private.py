"""Files and directories of opsbook's state that only their owner may read.

The state directory holds the database (runs, their output, tokens' hashes, incidents) and
the evidence vault: other local users must not read it. What opsbook creates there is made
0700 (directories) and 0600 (files) whatever the umask; what already exists is left as its
owner set it.
"""

from __future__ import annotations

import os
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def private_directory(path: Path) -> Path:
    """Create the directory and its missing parents if needed; each new one is owner-only."""
    missing = [path, *(p for p in path.parents if not p.exists())]
    for directory in reversed(missing):
        directory.mkdir(mode=DIRECTORY_MODE, exist_ok=True)
    return path


def private_file(path: Path) -> Path:
    """Create the file empty if it does not exist; a new one is owner-only (0600)."""
    private_directory(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    return path
