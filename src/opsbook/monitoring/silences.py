"""Silences: label matchers with a start and an end, as Alertmanager writes them. Pure.

A regex matcher is RE2 syntax, matched in time linear in the label's length, as Prometheus
and Alertmanager match theirs. Python's backtracking `re` could spend minutes on one label
for patterns as plain as `(a+)+$` or `.*-.*-.*x` (docs/benchmarks.md), holding every webhook
behind it; no refusal of "dangerous" patterns short of refusing `.*prod.*` closed that.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opsbook.errors import BadInput
from opsbook.runbook.durations import parse_duration
from opsbook.runbook.problems import ValueProblem

_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")
MATCHER_HINT = 'write matchers like alertname="Disk usage", severity=~"warn.*" or host!=db1'
# Characters of one matcher: far more than any real one, and it bounds compiling it.
MAX_MATCHER = 1_000
# Memory RE2 may use for one compiled pattern (a larger one is refused), and how many compiled
# patterns are kept: at most 256 MB however the patterns are crafted.
_MAX_MEMORY = 1 << 20
_KEPT = 256


class MatcherError(BadInput, ValueError):
    """A matcher that cannot be read; the message says which and how to write it."""


def silence_length(text: str) -> float:
    """Return the seconds a silence lasts as written (`2h`, `30 minutes`), or raise BadInput."""
    try:
        return parse_duration(text)
    except ValueProblem as exc:
        raise BadInput(f"duration: {exc.message}", exc.hint) from None


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
        try:
            full = compiled(self.value).fullmatch(have) is not None
        except UnicodeEncodeError:  # a lone surrogate, stored before webhooks replaced them
            valid = have.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
            full = compiled(self.value).fullmatch(valid) is not None
        return full if self.op == "=~" else not full

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


def parse_matcher(text: str) -> Matcher:
    """Read `name=value`, `name!=value`, `name=~regex` or `name!~regex` (value may be quoted)."""
    if len(text) > MAX_MATCHER:
        raise MatcherError(f"a matcher is {len(text)} characters long; at most {MAX_MATCHER}")
    found = _MATCHER.match(text)
    if not found:
        raise MatcherError(f'matcher "{text}" is not NAME=VALUE; {MATCHER_HINT}')
    name, op, value = found.groups()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    if op in ("=~", "!~"):
        try:
            compiled(value)
        except ValueError as exc:
            raise MatcherError(
                f'matcher "{text}": "{value}" is not a regular expression as Alertmanager '
                f"reads them (RE2 syntax: no backreferences or lookarounds): {exc}"
            ) from None
    return Matcher(name, op, value)


@functools.lru_cache(maxsize=_KEPT)
def compiled(pattern: str) -> Any:
    """Return the RE2 regex of a pattern (ValueError if RE2 cannot read it); each compiled once."""
    # lazy: keeps re2 off the start-up of `opsbook alerts list`
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern on stderr
    options.max_mem = _MAX_MEMORY
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        raise ValueError(text) from None


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
