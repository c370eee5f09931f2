"""Host names written compactly and completely: `web[001-003,017],db1`, as ClusterShell does."""

from __future__ import annotations

import re
from collections.abc import Sequence

_NUMBERED = re.compile(r"(.*?)(\d+)")


def folded(hosts: Sequence[str]) -> str:
    """Fold hosts whose names differ only in a trailing number into ranges, in first-seen order."""
    families: dict[tuple[str, int], list[int]] = {}
    order: list[tuple[str, int] | str] = []
    for host in hosts:
        match = _NUMBERED.fullmatch(host)
        if match is None:
            order.append(host)
            continue
        # The number's width is part of the family: web01 and web001 are different names.
        family = (match.group(1), len(match.group(2)))
        if family not in families:
            families[family] = []
            order.append(family)
        families[family].append(int(match.group(2)))
    parts = []
    for entry in order:
        if isinstance(entry, str):
            parts.append(entry)
            continue
        prefix, width = entry
        numbers = families[entry]
        if len(numbers) == 1:
            parts.append(f"{prefix}{numbers[0]:0{width}d}")
            continue
        spans = ",".join(_span(a, b, width) for a, b in _runs(sorted(set(numbers))))
        parts.append(f"{prefix}[{spans}]")
    return ",".join(parts)


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def _span(first: int, last: int, width: int) -> str:
    if first == last:
        return f"{first:0{width}d}"
    return f"{first:0{width}d}-{last:0{width}d}"
