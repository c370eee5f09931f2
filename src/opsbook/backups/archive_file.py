"""The archive file being written: tar bytes in, a zstd frame out, hashed on its way to disk.

Compression runs in this process, in libzstd's worker threads (the `zstandard` package),
beside the thread that reads and hashes the files: no pipe to a `zstd` program, whose two
copies of every byte (into the pipe and out of it) and re-read of its output to hash it
cost more CPU than the two SHA-256s on a 2-core machine (bench/backups.py). Each compressed
piece is hashed as it is written, so the archive's SHA-256 is known when the frame ends.
Every 64 MiB written, a thread asks the kernel to write the file to disk (fdatasync), so the
disk works while zstd does and the final fsync, which the backup waits for, has little left
(it was ~0.5 s for a 730 MiB archive here).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading

import zstandard

_WRITEBACK_EVERY = 64 << 20


class ArchiveFile:
    """Compresses what it is given into one zstd frame (with zstd's content checksum) at the
    end of an open file, and hashes every compressed byte written."""

    def __init__(self, descriptor: int, level: int) -> None:
        self.descriptor = descriptor
        compressor = zstandard.ZstdCompressor(level=level, threads=-1, write_checksum=True)
        self.stream = compressor.compressobj()
        self.digest = hashlib.sha256()
        self.size = 0
        self.unsynced = 0
        self.writeback = _Writeback(descriptor)

    def write(self, data: memoryview, /) -> None:
        """Compress these bytes; write and hash whatever compressed bytes zstd hands back."""
        self._out(self.stream.compress(data))

    def finish(self) -> str:
        """End the frame, write it, fsync the file; return the archive's SHA-256."""
        self._out(self.stream.flush())
        self.writeback.stop()
        os.fsync(self.descriptor)
        return self.digest.hexdigest()

    def abandon(self) -> None:
        """Stop the writeback thread: the archive will not be finished."""
        self.writeback.stop()

    def _out(self, data: bytes) -> None:
        if not data:
            return
        self.digest.update(data)
        view = memoryview(data)
        while view:
            view = view[os.write(self.descriptor, view) :]
        self.size += len(data)
        self.unsynced += len(data)
        if self.unsynced >= _WRITEBACK_EVERY:
            self.writeback.due.set()
            self.unsynced = 0


class _Writeback:
    """A thread that fdatasyncs the file each time it is asked, until stopped."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self.due = threading.Event()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="archive-writeback", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            self.due.wait()
            self.due.clear()
            if self.stopping:
                return
            with contextlib.suppress(OSError):  # the final fsync reports what went wrong
                os.fdatasync(self.descriptor)

    def stop(self) -> None:
        self.stopping = True
        self.due.set()
        self.thread.join()
