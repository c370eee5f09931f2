"""Read configuration files on this machine."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import stat
from datetime import UTC, datetime

from opsbook.deploy.config_targets import ConfigTarget
from opsbook.deploy.file_state import FileState, text_of
from opsbook.errors import Refused


class LocalFiles:
    """A `FileReader` of files on this machine."""

    def read(self, targets: list[ConfigTarget]) -> dict[str, FileState]:
        """Return each target's state, by key."""
        return {t.key: read_local(t.path) for t in targets}


def read_local(path: str) -> FileState:
    """Return the state of one local file; missing is a state, unreadable an error."""
    try:
        info = os.stat(path)
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return FileState(exists=False)
    except OSError as exc:
        raise Refused(f"cannot read {path}: {exc.strerror}") from None
    return FileState(
        exists=True,
        sha256=hashlib.sha256(data).hexdigest(),
        mode=stat.S_IMODE(info.st_mode),
        owner=_user(info.st_uid),
        group=_group(info.st_gid),
        size=len(data),
        changed_at=datetime.fromtimestamp(info.st_ctime, UTC),
        text=text_of(data),
    )


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)
