"""Writing a file whole or not at all: a temporary file beside it, then one rename."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(target: Path, text: str, *, mode: int = 0o666) -> None:
    """Write the text to target: a reader sees the old file or the new one, never a part.

    `mode` is the new file's mode before the umask (0o666: as `open` makes files). Raises
    OSError (a missing directory, a target that is a directory, no permission) with nothing
    left behind.
    """
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
