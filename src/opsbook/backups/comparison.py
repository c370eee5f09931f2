"""A restore drill's verdict on each file: restored bytes against the manifest. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from opsbook.backups.manifest import ManifestEntry

MAX_LISTED = 50  # mismatches named one by one in a drill's record; the count is whole


@dataclass(frozen=True)
class Verdict:
    """What a drill found: files equal, different, missing, and problems of the whole."""

    checked: int
    matched: int
    mismatched: tuple[str, ...]
    missing: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.mismatched and not self.missing and not self.problems

    def summary(self) -> str:
        """Return one line saying what the drill found."""
        if self.passed:
            return f"{self.matched} of {self.checked} restored files equal their manifest"
        parts = []
        if self.mismatched:
            parts.append(f"{len(self.mismatched)} differ ({', '.join(self.mismatched[:3])})")
        if self.missing:
            parts.append(f"{len(self.missing)} missing ({', '.join(self.missing[:3])})")
        parts.extend(self.problems[:2])
        return f"{self.matched} of {self.checked} equal; " + "; ".join(parts)


def judge(
    wanted: Sequence[ManifestEntry], restored: Mapping[str, str], problems: Sequence[str]
) -> Verdict:
    """Compare each wanted entry with the SHA-256 of its restored file (absent: missing)."""
    mismatched = [e.path for e in wanted if e.path in restored and restored[e.path] != e.sha256]
    missing = [e.path for e in wanted if e.path not in restored]
    matched = len(wanted) - len(mismatched) - len(missing)
    return Verdict(len(wanted), matched, tuple(mismatched), tuple(missing), tuple(problems))
