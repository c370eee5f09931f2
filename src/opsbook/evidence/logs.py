"""The files a runbook's Log Locations name: paths in code spans, globs expanded.

Pure but for the glob: it lists what exists now, relative names read from the runbook's
folder.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Sequence
from pathlib import Path


def log_paths(entries: Sequence[str]) -> list[str]:
    """Return the path each Log Locations entry names: its first code span, else its
    first word when that looks like a path."""
    paths = []
    for entry in entries:
        span = re.search(r"`([^`]+)`", entry)
        if span:
            paths.append(span.group(1).strip())
            continue
        first = entry.strip().split(":")[0].split()
        if first and ("/" in first[0] or first[0].startswith(("~", "."))):
            paths.append(first[0])
    return paths


def expand(written: str, base: Path) -> list[Path]:
    """Return the files one written path names (relative to base, `~` and globs expanded)."""
    path = Path(os.path.expanduser(written))
    full = path if path.is_absolute() else base / path
    if glob.has_magic(str(full)):
        return [Path(m) for m in sorted(glob.glob(str(full)))]
    return [full]
