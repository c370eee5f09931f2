"""What a backup driver does, whichever tool it drives: back up, restore some files, remove."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from opsbook.backups.manifest import ManifestEntry
from opsbook.backups.settings import BackupSpec


class DriverFailed(Exception):
    """The tool failed: the message says what it said."""


@dataclass(frozen=True)
class Written:
    """A finished backup, on disk and fsynced: where it is and what it holds."""

    location: str  # the archive's or dump's path, or restic's snapshot id
    sha256: str  # of the archive or dump file; restic: its full snapshot id
    size: int  # bytes the backup takes where it is kept
    manifest: tuple[ManifestEntry, ...]
    detail: str = ""


@dataclass(frozen=True)
class Stored:
    """A backup as recorded, handed back to its driver to restore or remove."""

    id: int
    location: str
    sha256: str
    size: int


@dataclass
class Restored:
    """What a restore put into the scratch directory, and what went wrong with the whole."""

    files: dict[str, Path] = field(default_factory=dict)  # manifest path -> restored file
    problems: list[str] = field(default_factory=list)


class BackupDriver(Protocol):
    """One tool that makes, restores and removes backups."""

    def back_up(self, spec: BackupSpec, *, ident: int, stamp: str) -> Written:
        """Make backup number `ident`; raise DriverFailed if it cannot be made whole."""
        ...

    def restore(
        self, spec: BackupSpec, backup: Stored, paths: Sequence[str], scratch: Path, rotation: int
    ) -> Restored:
        """Restore these manifest paths of a backup into the scratch directory.

        `rotation` counts the drills of this backup set: a driver that checks its repository
        in parts (restic's `--read-data-subset`) checks the next part each time."""
        ...

    def remove(self, spec: BackupSpec, backups: Sequence[Stored]) -> None:
        """Remove the data of these backups (retention); their records stay."""
        ...


@runtime_checkable
class ForgetsByPolicy(Protocol):
    """A driver whose tool applies the keep-* policy itself (restic's `forget --keep-*`)."""

    def forget(self, spec: BackupSpec) -> list[str]:
        """Apply the spec's retention with the tool's own rules; return the ids it removed."""
        ...
