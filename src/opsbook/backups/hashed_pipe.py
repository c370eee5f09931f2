"""Copying a pipe into a file on a thread of its own, hashing the bytes on the way: the
archive's SHA-256 is known the moment zstd ends, with no second read of the archive."""

from __future__ import annotations

import hashlib
import os
import threading

_CHUNK = 1 << 20


class HashedCopy:
    """Copies everything read from `source` into `target` and hashes it, until end of file."""

    def __init__(self, source: int, target: int) -> None:
        self.source, self.target = source, target
        self.digest = hashlib.sha256()
        self.size = 0
        self.error: OSError | None = None
        self.thread = threading.Thread(target=self._run, name="archive-copy", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while chunk := os.read(self.source, _CHUNK):
                self.digest.update(chunk)
                view = memoryview(chunk)
                while view:
                    view = view[os.write(self.target, view) :]
                self.size += len(chunk)
        except OSError as exc:
            self.error = exc

    def finish(self) -> str:
        """Wait for the end of the pipe; return the SHA-256 of all it carried (OSError if not)."""
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.digest.hexdigest()
