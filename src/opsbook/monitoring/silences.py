"""Silences: label matchers with a start and an end, as Alertmanager writes them. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")
MATCHER_HINT = 'write matchers like alertname="Disk usage", severity=~"warn.*" or host!=db1'


class MatcherError(ValueError):
    """A matcher that cannot be read; the message says which and how to write it."""


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Say whether the labels satisfy this matcher (a missing label is empty)."""
        have = labels.get(self.name, "")
        if self.op == "=":
            return have == self.value
        if self.op == "!=":
            return have != self.value
        full = re.fullmatch(self.value, have) is not None
        return full if self.op == "=~" else not full

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


def parse_matcher(text: str) -> Matcher:
    """Read `name=value`, `name!=value`, `name=~regex` or `name!~regex` (value may be quoted)."""
    found = _MATCHER.match(text)
    if not found:
        raise MatcherError(f'matcher "{text}" is not NAME=VALUE; {MATCHER_HINT}')
    name, op, value = found.groups()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    if op in ("=~", "!~"):
        try:
            re.compile(value)
        except re.error as exc:
            raise MatcherError(
                f'matcher "{text}": "{value}" is not a regular expression: {exc}'
            ) from None
    return Matcher(name, op, value)


@dataclass(frozen=True)
class Silence:
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    id: int = 0
    created_by: str = ""
    comment: str = ""

    def active(self, now: datetime) -> bool:
        """Say whether the silence holds at `now`."""
        return self.starts_at <= now < self.ends_at

    def covers(self, labels: Mapping[str, str], now: datetime) -> bool:
        """Say whether the silence mutes an alert with these labels at `now`."""
        return self.active(now) and all(m.matches(labels) for m in self.matchers)


def silenced_by(
    silences: tuple[Silence, ...] | list[Silence], labels: Mapping[str, str], now: datetime
) -> Silence | None:
    """Return the first silence muting these labels at `now`, if any."""
    return next((s for s in silences if s.covers(labels, now)), None)
