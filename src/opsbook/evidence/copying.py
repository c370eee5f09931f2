"""Copy bytes into a vault file while hashing them, in constant memory.

Two ways, the same result: the SHA-256 and size of exactly the bytes now in the destination.
- `copy_stream`: read a chunk, hash it, write it (any source: a pipe, bytes made here).
- `copy_file`: for a regular file, the kernel copies (`copy_file_range`, no trip through
  Python) in a second thread while this one hashes what has landed in the destination,
  and the copier flushes as it goes so the final fsync is short. Hashing the destination,
  not the source, means the name can never disagree with the stored bytes, even if the
  source changes meanwhile. Where the kernel cannot (another filesystem on an old kernel,
  a special file), it falls back to `copy_stream`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import threading
from collections.abc import Callable

CHUNK = 1 << 20
STEP = 8 << 20  # what the copier hands over at a time
FLUSH = 64 << 20  # how much it copies between two fdatasyncs
# What copy_file_range answers where it cannot copy, and the stream must.
UNSUPPORTED = {errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EBADF}


def copy_stream(read: Callable[[memoryview], int | None], destination: int) -> tuple[str, int]:
    """Copy what `read` (a file's readinto) gives to the descriptor; return (sha256, size)."""
    digest = hashlib.sha256()
    view = memoryview(bytearray(CHUNK))
    size = 0
    while count := read(view):
        chunk = view[:count]
        digest.update(chunk)
        written = 0
        while written < count:
            written += os.write(destination, chunk[written:])
        size += count
    return digest.hexdigest(), size


def copy_file(source: int, destination: int) -> tuple[str, int]:
    """Copy a regular file by descriptor to one open for reading and writing; (sha256, size)."""
    try:
        first = os.copy_file_range(source, destination, STEP)
    except OSError as exc:
        if exc.errno not in UNSUPPORTED:
            raise
        return copy_stream(lambda view: os.readv(source, [view]), destination)
    copied = _Copied(first)
    copier = threading.Thread(target=copied.run, args=(source, destination), daemon=True)
    if first:
        copier.start()
    else:
        copied.finish()
    digest = hashlib.sha256()
    view = memoryview(bytearray(CHUNK))
    hashed = 0
    while True:
        ready = copied.wait_past(hashed)
        while hashed < ready:
            count = os.preadv(destination, [view[: min(CHUNK, ready - hashed)]], hashed)
            if count <= 0:
                raise OSError(errno.EIO, "the vault's copy is shorter than what was copied")
            digest.update(view[:count])
            hashed += count
        if copied.done and hashed >= copied.size:
            break
    if first:
        copier.join()
    if copied.error is not None:
        raise copied.error
    return digest.hexdigest(), hashed


class _Copied:
    """How far the copier thread has got, and whether it has finished (or failed)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.done = False
        self.error: OSError | None = None
        self._changed = threading.Condition()

    def run(self, source: int, destination: int) -> None:
        flushed = 0
        try:
            while count := os.copy_file_range(source, destination, STEP):
                with self._changed:
                    self.size += count
                    self._changed.notify()
                if self.size - flushed >= FLUSH:
                    os.fdatasync(destination)
                    flushed = self.size
        except OSError as exc:
            self.error = exc
        self.finish()

    def finish(self) -> None:
        with self._changed:
            self.done = True
            self._changed.notify()

    def wait_past(self, hashed: int) -> int:
        """Wait until more than `hashed` bytes are copied or the copy ended; return how many."""
        with self._changed:
            self._changed.wait_for(lambda: self.size > hashed or self.done)
            if self.error is not None:
                raise self.error
            return self.size
