"""The custody ledger on disk: one JSON line per record, appended under a lock, fsynced.

A line is written whole by one `write` and fsynced before the use case returns. A crash can
still leave a torn last line (no newline at its end); `append` then refuses to write after
it, since a record after a torn one would hide it, and `repair` moves the torn bytes aside.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from opsbook.errors import Refused
from opsbook.evidence.records import GENESIS, BadLine, Event, Record, decode, encode
from opsbook.store.private import private_directory

TAIL = 1 << 16


class Ledger:
    """The append-only file of custody records in an evidence directory."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def locked(self) -> Iterator[int]:
        """Hold the ledger's lock (other writers wait); yield a descriptor open for append."""
        private_directory(self.path.parent)
        descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield descriptor
        finally:
            os.close(descriptor)

    def append(self, events: list[Event], now: datetime) -> list[Record]:
        """Append one record per event after the last one; fsync before returning."""
        with self.locked() as descriptor:
            seq, prev = self._head(descriptor)
            records, lines = [], []
            for event in events:
                record, line = encode(event, seq=seq, prev=prev, now=now)
                records.append(record)
                lines.append(line)
                seq, prev = seq + 1, record.hash
            data = b"".join(lines)
            written = 0
            while written < len(data):
                written += os.write(descriptor, data[written:])
            os.fsync(descriptor)
        return records

    def _head(self, descriptor: int) -> tuple[int, str]:
        """Return the next sequence number and the last record's hash."""
        end = os.lseek(descriptor, 0, os.SEEK_END)
        if end == 0:
            return 0, GENESIS
        start = max(0, end - TAIL)
        tail = os.pread(descriptor, end - start, start)
        if not tail.endswith(b"\n"):
            raise Refused(
                f"{self.path} ends with a torn record (a write that was cut short)",
                "run `opsbook evidence verify`, then `opsbook evidence repair` to set it aside",
            )
        last = tail[:-1].rpartition(b"\n")[2]
        try:
            record, _ = decode(last)
        except BadLine as exc:
            raise Refused(
                f"{self.path}: the last record {exc}", "run `opsbook evidence verify`"
            ) from None
        return record.seq + 1, record.hash

    def lines(self) -> Iterator[bytes]:
        """Yield every line as stored, the newline included (a torn last one has none)."""
        if not self.path.exists():
            return
        with self.path.open("rb") as source:
            yield from source

    def records(self) -> Iterator[Record]:
        """Yield every record, in order; BadLine at the first that is not well formed."""
        for number, line in enumerate(self.lines()):
            if not line.endswith(b"\n"):
                raise BadLine(f"record {number} is torn (no end of line)")
            yield decode(line[:-1])[0]

    def repair(self, now: datetime) -> int:
        """Move a torn last line aside into `<ledger>.torn-<time>`; return its size in bytes."""
        with self.locked() as descriptor:
            end = os.lseek(descriptor, 0, os.SEEK_END)
            start = max(0, end - TAIL)
            tail = os.pread(descriptor, end - start, start)
            if not tail or tail.endswith(b"\n"):
                return 0
            if b"\n" not in tail and start > 0:
                raise Refused(f"{self.path}: the torn end is longer than a record can be")
            cut = start + tail.rfind(b"\n") + 1
            torn = os.pread(descriptor, end - cut, cut)
            aside = self.path.with_name(f"{self.path.name}.torn-{now:%Y%m%dT%H%M%S%f}")
            aside.write_bytes(torn)
            os.ftruncate(descriptor, cut)
            os.fsync(descriptor)
            return len(torn)
