"""Secret values never leave a run unmasked: they show as `****` wherever text goes out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from opsbook.runbook.record import Record
from opsbook.runbook.secret_names import is_secret_name

MASK = "****"


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
