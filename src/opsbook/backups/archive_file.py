"""The archive file being written: tar bytes in, a zstd frame out, hashed on its way to disk.

Compression runs in this process, in libzstd's worker threads (the `zstandard` package),
beside the thread that reads and hashes the files: no pipe to a `zstd` program, whose two
copies of every byte (into the pipe and out of it) and re-read of its output to hash it
cost more CPU than the two SHA-256s on a 2-core machine (bench/backups.py). A writer thread
takes each compressed piece, hashes it and writes it, so the archive's SHA-256 is known when
the frame ends and the thread reading the files does neither. Every 64 MiB written, it asks
the kernel to write the file to disk (fdatasync), so the disk works while zstd does and the
final fsync, which the backup waits for, has little left (it was ~0.5 s for a 730 MiB
archive here).
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading

import zstandard

from opsbook.backups.drivers.base import DriverFailed

_WRITEBACK_EVERY = 64 << 20
_QUEUED = 16  # compressed pieces waiting for the writer, at most (zstd's are ≤ a few MiB)


class ArchiveFile:
    """Compresses what it is given into one zstd frame (with zstd's content checksum) at the
    end of an open file, and hashes every compressed byte written."""

    def __init__(self, descriptor: int, level: int) -> None:
        self.descriptor = descriptor
        compressor = zstandard.ZstdCompressor(level=level, threads=-1, write_checksum=True)
        self.stream = compressor.compressobj()
        self.digest = hashlib.sha256()
        self.size = 0
        self.error: OSError | None = None
        self.pieces: queue.Queue[bytes | None] = queue.Queue(_QUEUED)
        self.thread = threading.Thread(target=self._write, name="archive-writer", daemon=True)
        self.thread.start()

    def write(self, data: memoryview, /) -> None:
        """Compress these bytes; hand whatever compressed bytes zstd gives back to the writer.

        Raises DriverFailed if writing the archive failed."""
        if self.error is not None:
            raise DriverFailed(f"cannot write the archive: {self.error.strerror or self.error}")
        piece = self.stream.compress(data)
        if piece:
            self.pieces.put(piece)

    def finish(self) -> str:
        """End the frame, write it, fsync the file; return the archive's SHA-256."""
        self.pieces.put(self.stream.flush())
        self._stop()
        if self.error is not None:
            raise DriverFailed(f"cannot write the archive: {self.error.strerror or self.error}")
        os.fsync(self.descriptor)
        return self.digest.hexdigest()

    def abandon(self) -> None:
        """Stop the writer: the archive will not be finished."""
        self.error = self.error or OSError("abandoned")
        while True:  # make room for the end mark, if the writer is stuck or gone
            try:
                self.pieces.get_nowait()
            except queue.Empty:
                break
        self._stop()

    def _stop(self) -> None:
        self.pieces.put(None)
        self.thread.join()

    def _write(self) -> None:
        unsynced = 0
        while (piece := self.pieces.get()) is not None:
            if self.error is not None:
                continue  # drain until the end mark
            try:
                self.digest.update(piece)
                view = memoryview(piece)
                while view:
                    view = view[os.write(self.descriptor, view) :]
                self.size += len(piece)
                unsynced += len(piece)
                if unsynced >= _WRITEBACK_EVERY:
                    os.fdatasync(self.descriptor)
                    unsynced = 0
            except OSError as exc:
                self.error = exc
