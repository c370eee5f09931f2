"""Secret values never leave a run unmasked: they show as `****` wherever text goes out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from opsbook.runbook.record import Record
from opsbook.runbook.secret_names import is_secret_name

MASK = "****"
MASK_BYTES = MASK.encode()


@dataclass(frozen=True, eq=False, repr=False)
class Masker(Record):
    """Replaces every known secret value in a text with `****`."""

    values: tuple[str, ...] = ()

    @classmethod
    def of(cls, secrets: Iterable[str]) -> Masker:
        """Build a masker; longer values first so one secret inside another still masks."""
        unique = {v for v in secrets if v}
        return cls(tuple(sorted(unique, key=len, reverse=True)))

    def mask(self, text: str) -> str:
        """Return the text with every secret value replaced by `****`."""
        if not text or not self.values:
            return text
        for value in self.values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def mask_values(self, data: Mapping[str, str], secret_names: Iterable[str]) -> dict[str, str]:
        """Return the mapping with secret names' values as `****` and others masked."""
        names = set(secret_names)
        return {
            k: MASK if k in names or is_secret_name(k) else self.mask(v) for k, v in data.items()
        }


def _spanning(data: bytes, at: int, secrets: Sequence[bytes]) -> tuple[int, int] | None:
    """Return where a secret in `data` starts and ends if it covers the cut `at`, else None."""
    for secret in secrets:
        start = data.find(secret, max(0, at - len(secret) + 1))
        if start != -1 and start < at:
            return start, start + len(secret)
    return None


def cut_before(data: bytes, at: int, secrets: Sequence[bytes]) -> int:
    """Move a cut back, off any secret it would split: the secret goes wholly after it."""
    while (found := _spanning(data, at, secrets)) is not None:
        at = found[0]
    return at


def cut_after(data: bytes, at: int, secrets: Sequence[bytes]) -> int:
    """Move a cut forward, off any secret it would split: the secret goes wholly before it."""
    while (found := _spanning(data, at, secrets)) is not None:
        at = found[1]
    return at


def mask_bytes(data: bytes, secrets: Sequence[bytes]) -> bytes:
    """Return the bytes with every secret replaced by `****` (longest secrets first)."""
    for secret in secrets:
        if secret in data:
            data = data.replace(secret, MASK_BYTES)
    return data


class StreamMasker:
    """Masks secrets in output that comes in chunks, so one split across two is still masked.

    The bytes that could begin a secret continued in the next chunk wait for it (at most the
    longest secret's length less one); `flush` gives them out at the end.

    >>> stream = StreamMasker(["hunter2"])
    >>> stream.feed(b"pw=hun") + stream.feed(b"ter2 ok") + stream.flush()
    b'pw=**** ok'
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = secret_bytes(secrets)
        self.hold = max((len(s) for s in self.secrets), default=1) - 1
        self.pending = b""

    def feed(self, chunk: bytes) -> bytes:
        """Add a chunk; return what is now certain, masked."""
        data = self.pending + chunk
        cut = cut_before(data, max(0, len(data) - self.hold), self.secrets)
        self.pending = data[cut:]
        return mask_bytes(data[:cut], self.secrets)

    def flush(self) -> bytes:
        """Return what is still waiting, masked: the output has ended."""
        data, self.pending = self.pending, b""
        return mask_bytes(data, self.secrets)


def secret_bytes(secrets: Iterable[str]) -> tuple[bytes, ...]:
    """Return the secrets as UTF-8, longest first (as `Masker.of` orders them)."""
    unique = {s.encode("utf-8", "surrogateescape") for s in secrets if s}
    return tuple(sorted(unique, key=len, reverse=True))
