"""The reader of a runbook's configuration files: local ones here, the others over SSH."""

from __future__ import annotations

from opsbook.deploy.config_targets import ConfigTarget
from opsbook.deploy.file_state import FileReader, FileState
from opsbook.deploy.local_files import LocalFiles
from opsbook.deploy.ssh_files import SshFiles
from opsbook.runbook.model import Runbook


class Readers:
    """Reads each file where it is: this machine, or its host."""

    def __init__(self, local: FileReader, remote: FileReader) -> None:
        self.local = local
        self.remote = remote

    def read(self, targets: list[ConfigTarget]) -> dict[str, FileState]:
        """Return each target's state, by key."""
        here = [t for t in targets if t.local]
        there = [t for t in targets if not t.local]
        out = self.local.read(here)
        if there:
            out.update(self.remote.read(there))
        return out


def reader_for(runbook: Runbook) -> FileReader:
    """Return the reader of the runbook's configuration files, wherever they are."""
    return Readers(LocalFiles(), SshFiles(runbook))
