"""A share of a step's hosts, as `max_fail=` and `batch=` state it: `3` hosts or `10%` of them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from opsbook.runbook.problems import ValueProblem

_SHAPE = re.compile(r"(\d+)(%?)")


@dataclass(frozen=True)
class HostShare:
    """A number of hosts, or a whole percentage (1 to 100) of however many the step has."""

    number: int
    percent: bool = False

    def of(self, total: int) -> int:
        """Return how many of `total` hosts this share is, rounded down."""
        if not self.percent:
            return self.number
        # Integer arithmetic: 10% of 30 is exactly 3, never 2.9999.
        return self.number * total // 100

    def __str__(self) -> str:
        return f"{self.number}{'%' if self.percent else ''}"


def parse_share(key: str, text: str) -> HostShare:
    """Read `3` or `10%` for attribute `key`; refuse zero, over 100%, negatives and words."""
    value = text.strip()
    if value.startswith("-"):
        raise ValueProblem(
            f'attribute {key}="{text}" is negative',
            f"e.g. {key}=3 (hosts) or {key}=10% (of the step's hosts)",
        )
    shape = _SHAPE.fullmatch(value)
    if shape is None:
        raise ValueProblem(
            f'attribute {key}="{text}" is not a number of hosts or a percentage',
            f"e.g. {key}=3 (hosts) or {key}=10% (of the step's hosts)",
        )
    number, percent = int(shape.group(1)), shape.group(2) == "%"
    if number == 0:
        hint = (
            "leave it out: by default no host may fail"
            if key == "max_fail"
            else f"a batch needs at least one host, e.g. {key}=1 or {key}=10%"
        )
        raise ValueProblem(f'attribute {key}="{text}" is zero', hint)
    if percent and number > 100:
        raise ValueProblem(
            f'attribute {key}="{text}" is over 100%',
            f"a percentage from 1% to 100%, e.g. {key}=10%",
        )
    return HostShare(number, percent)
