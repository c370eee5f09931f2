"""Hashing a file while another process writes it: the archive's SHA-256 is known the moment
zstd ends, with no second read of the archive and no pipe between zstd and its file.

zstd writes the archive file itself (as `zstd -o` does), so it never waits for Python; a
thread reads behind it from the page cache and hashes what it reads. When told the writer
has ended, it reads to the end of the file and stops. Every 64 MiB it has read, it asks the
kernel to write the file to disk (fdatasync), so the disk works while zstd does and the
final fsync, which a backup waits for, has little left to write (it was ~0.5 s a GiB).
"""

from __future__ import annotations

import hashlib
import os
import threading

_CHUNK = 1 << 20
_POLL = 0.005  # seconds to wait for more, when the reader has caught up with the writer
_SYNC_EVERY = 64 << 20


class GrowingFileHash:
    """Hashes every byte written to the file at `path`, from its start, until `finish`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.descriptor = os.open(path, os.O_RDONLY)
        self.digest = hashlib.sha256()
        self.size = 0
        self.error: OSError | None = None
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self._run, name="archive-hash", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        chunk = bytearray(_CHUNK)
        view = memoryview(chunk)
        synced = 0
        try:
            while True:
                ended = self.ended.is_set()  # before the read: then a short read is the end
                count = os.readv(self.descriptor, [view])
                if count:
                    self.digest.update(view[:count])
                    self.size += count
                    if self.size - synced >= _SYNC_EVERY:
                        os.fdatasync(self.descriptor)
                        synced = self.size
                elif ended:
                    return
                else:
                    self.ended.wait(_POLL)
        except OSError as exc:
            self.error = exc

    def finish(self) -> str:
        """Say the writer has ended; return the SHA-256 of the whole file (OSError if not)."""
        self.stop()
        if self.error is not None:
            raise self.error
        return self.digest.hexdigest()

    def stop(self) -> None:
        """Stop reading (at the end of the file) and close it."""
        self.ended.set()
        self.thread.join()
        if self.descriptor >= 0:
            os.close(self.descriptor)
            self.descriptor = -1
