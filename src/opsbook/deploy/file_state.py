"""What a configuration file is like now: content hash, mode, owner, and a copy of its text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from opsbook.deploy.config_targets import ConfigTarget

# A copy is kept only of text files up to this size; larger ones are compared by hash.
MAX_COPY = 256 * 1024


@dataclass(frozen=True)
class FileState:
    """A file as read now; `exists` False: missing (the rest empty)."""

    exists: bool
    sha256: str = ""
    mode: int = 0
    owner: str = ""
    group: str = ""
    size: int = 0
    # The file's status change time (ctime): a write, a chmod or a chown moves it.
    changed_at: datetime | None = None
    text: str | None = None  # None: binary, too large, or missing


class FileReader(Protocol):
    """Reads configuration files where they are (this machine, or a host over SSH)."""

    def read(self, targets: list[ConfigTarget]) -> dict[str, FileState]:
        """Return each target's state, by key; a file that cannot be read is an error."""
        ...


def text_of(data: bytes) -> str | None:
    """Return the file's text when it is a small UTF-8 text file, else None."""
    if len(data) > MAX_COPY or b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
