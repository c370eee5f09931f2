"""The driver a backup's front matter names, loaded only when a backup uses it."""

from __future__ import annotations

from opsbook.backups.drivers.base import BackupDriver
from opsbook.backups.settings import BackupSpec


def driver_for(spec: BackupSpec) -> BackupDriver:
    """Return the driver the spec names."""
    if spec.driver == "restic":
        # lazy: each driver loads only when a backup uses it
        from opsbook.backups.drivers.restic import ResticDriver

        return ResticDriver()
    if spec.driver == "command":
        # lazy: each driver loads only when a backup uses it
        from opsbook.backups.drivers.command import CommandDriver

        return CommandDriver()
    # lazy: each driver loads only when a backup uses it
    from opsbook.backups.drivers.archive import ArchiveDriver

    return ArchiveDriver()
