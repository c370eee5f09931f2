"""Hosts of a fan-out step grouped by identical output, as people read fan-out results.

Two hosts belong together when their attempts ended the same way: same status, stdout and
stderr (and exit code and error). opsbook's own error names the host and its address
("cannot connect to web017 (10.0.0.17:22): ..."), so errors are compared with those as
placeholders, and a group of several hosts shows the error that way. Failures come first
(they are what a person on call reads the page for), then the biggest groups; hosts keep
their order within a group. The terminal, `runs show` and the run page all group by this
one rule; the record keeps every host's attempt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class Ended(Protocol):
    """What grouping reads of an attempt or a result."""

    @property
    def exit_code(self) -> int | None: ...

    @property
    def stdout(self) -> str: ...

    @property
    def stderr(self) -> str: ...

    @property
    def error(self) -> str | None: ...


A = TypeVar("A", bound=Ended)
# Where a group's status puts it: anything that went wrong first (0), then what passed,
# then the hosts a stopped rollout never reached.
_RANK = {"passed": 1, "not-run": 2}


@dataclass(frozen=True)
class Group(Generic[A]):
    """Hosts whose attempts ended alike, and one of those attempts to show for all."""

    status: str
    hosts: tuple[str, ...]
    sample: A
    # The sample's error; for several hosts with their names and addresses as placeholders.
    error: str | None = None


def grouped(attempts: Iterable[tuple[str, str, A]]) -> list[Group[A]]:
    """Group (host, status, attempt) by status and output: failures, then biggest first."""
    by_key: dict[tuple[str, int | None, str, str, str], list[tuple[str, A]]] = {}
    for host, status, attempt in attempts:
        error = any_host(attempt.error or "", host)
        key = (status, attempt.exit_code, attempt.stdout, attempt.stderr, error)
        by_key.setdefault(key, []).append((host, attempt))
    groups = [
        Group(
            key[0],
            tuple(host for host, _ in members),
            members[0][1],
            (key[4] if len(members) > 1 else members[0][1].error) or None,
        )
        for key, members in by_key.items()
    ]
    # Stable sort: groups of one rank and size stay in the order their first host came.
    return sorted(groups, key=lambda g: (_RANK.get(g.status, 0), -len(g.hosts)))


def any_host(error: str, host: str) -> str:
    """Write an error about one host as about any: its name and address as placeholders.

    The address is the one the error gives after the name, `web017 (10.0.0.17:22)`; it
    is replaced wherever else the error names it too (`ssh-keyscan 10.0.0.17`).

    >>> any_host("cannot connect to web017 (10.0.0.17:22): Connection refused", "web017")
    'cannot connect to <host> (<address>): Connection refused'
    """
    if not host or host not in error:
        return error
    named = re.compile(rf"(?<![\w.-]){re.escape(host)}(?![\w.-])(?: \(([^()\s]+)\))?")
    found = named.search(error)
    address = found.group(1) if found is not None else None
    error = named.sub(lambda m: "<host>" + (" (<address>)" if m.group(1) else ""), error)
    if address:
        bare = address.rsplit(":", 1)[0] if address.count(":") == 1 else address
        error = re.sub(rf"(?<![\w.:-]){re.escape(bare)}(?![\w.:-])", "<address>", error)
    return error


def host_list(hosts: Sequence[str], shown: int = 5) -> str:
    """Name hosts compactly: `web003, web017 (+5 more)` past `shown` names."""
    names = ", ".join(hosts[:shown])
    rest = len(hosts) - shown
    return f"{names} (+{rest} more)" if rest > 0 else names


class Recorded(Ended, Protocol):
    """What grouping reads of a recorded attempt (an AttemptView)."""

    @property
    def step(self) -> str: ...

    @property
    def attempt(self) -> int: ...

    @property
    def host(self) -> str: ...

    @property
    def status(self) -> str: ...


R = TypeVar("R", bound=Recorded)
# Statuses of a host's attempt in which nothing went wrong.
GOOD = ("passed", "confirmed", "skipped", "not-run")


@dataclass(frozen=True)
class Try(Generic[R]):
    """One try of a step (its attempt number) on all its hosts, the hosts grouped by output."""

    first: R
    groups: tuple[Group[R], ...]

    @property
    def hosts(self) -> int:
        """Return on how many hosts the step was tried."""
        return sum(len(g.hosts) for g in self.groups)

    @property
    def fanned(self) -> bool:
        """Say whether the try ran on more than one host (else it shows as one attempt)."""
        return self.hosts > 1

    @property
    def status(self) -> str:
        """Return the status to show for the try: the first that is not a good one."""
        for group in self.groups:
            if group.status not in GOOD:
                return group.status
        return self.groups[0].status

    def counts(self) -> str:
        """Say how many hosts ended each way, biggest first: `197 passed, 3 failed`."""
        by_status: dict[str, int] = {}
        for group in self.groups:
            by_status[group.status] = by_status.get(group.status, 0) + len(group.hosts)
        ordered = sorted(by_status.items(), key=lambda kv: -kv[1])
        return ", ".join(f"{n} {status}" for status, n in ordered)


def tries(attempts: Iterable[R]) -> list[Try[R]]:
    """Gather recorded attempts into tries of a step (step, attempt number), in record order."""
    by_try: dict[tuple[str, int], list[R]] = {}
    for attempt in attempts:
        by_try.setdefault((attempt.step, attempt.attempt), []).append(attempt)
    return [
        Try(members[0], tuple(grouped((a.host, a.status, a) for a in members)))
        for members in by_try.values()
    ]
